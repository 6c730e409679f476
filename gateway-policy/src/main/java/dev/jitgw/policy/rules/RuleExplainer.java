package dev.jitgw.policy.rules;

import dev.cel.common.CelValidationResult;
import dev.jitgw.core.exchange.RequestSummary;
import dev.jitgw.core.identity.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Says why a rule did not match, for {@code policy test}: a condition that is a conjunction ({@code
 * a && b && c}) is split at its top-level {@code &&}, and each part is evaluated on its own, so the
 * operator sees which part was false. Not used on the request path.
 */
public final class RuleExplainer {
  private RuleExplainer() {}

  /** One part of a condition and its value ({@code true}, {@code false}, or an error). */
  public record Part(String expression, String value) {}

  public static List<Part> explain(
      String when, Identity identity, RequestSummary request, Instant now) {
    CelVariables variables = CelVariables.of(identity, request, now);
    List<Part> parts = new ArrayList<>();
    for (String conjunct : splitConjuncts(when)) {
      String value;
      try {
        CelValidationResult compiled = PolicyLoader.check(conjunct);
        Object result = PolicyLoader.runtime().createProgram(compiled.getAst()).eval(variables);
        value = String.valueOf(result);
      } catch (Exception e) {
        value = "error: " + e.getMessage();
      }
      parts.add(new Part(conjunct, value));
    }
    return parts;
  }

  /** Splits at {@code &&} outside parentheses, brackets and string literals. */
  static List<String> splitConjuncts(String expression) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    char quote = 0;
    int start = 0;
    for (int i = 0; i < expression.length(); i++) {
      char c = expression.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      switch (c) {
        case '"', '\'' -> quote = c;
        case '(', '[', '{' -> depth++;
        case ')', ']', '}' -> depth--;
        case '&' -> {
          if (depth == 0 && i + 1 < expression.length() && expression.charAt(i + 1) == '&') {
            parts.add(expression.substring(start, i).strip());
            start = i + 2;
            i++;
          }
        }
        default -> {}
      }
    }
    parts.add(expression.substring(start).strip());
    return parts;
  }
}
