package dev.jitgw.core.config;

import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Finds where a key sits in a YAML document, so an error about {@code upstream.tiemout} points at
 * the line the operator wrote it on. (Jackson reports where its parser stood when it noticed, which
 * for buffered record properties is after the whole mapping.)
 */
public final class YamlLocator {
  private YamlLocator() {}

  /** Line and column (both 1-based) of the key or list item at {@code path}. */
  public record Position(int line, int column) {}

  public static Optional<Position> locate(String yaml, List<String> path) {
    if (path.isEmpty()) {
      return Optional.empty();
    }
    Node node;
    try {
      node = new Yaml(new LoaderOptions()).compose(new java.io.StringReader(yaml));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    Mark found = null;
    for (String step : path) {
      if (node instanceof MappingNode mapping) {
        Node next = null;
        for (NodeTuple tuple : mapping.getValue()) {
          if (tuple.getKeyNode() instanceof ScalarNode key && key.getValue().equals(step)) {
            found = key.getStartMark();
            next = tuple.getValueNode();
            break;
          }
        }
        node = next;
      } else if (node instanceof SequenceNode sequence && step.startsWith("[")) {
        int index = Integer.parseInt(step.substring(1, step.length() - 1));
        if (index >= sequence.getValue().size()) {
          break;
        }
        node = sequence.getValue().get(index);
        found = node.getStartMark();
      } else {
        break;
      }
      if (node == null) {
        break;
      }
    }
    return Optional.ofNullable(found).map(m -> new Position(m.getLine() + 1, m.getColumn() + 1));
  }
}
