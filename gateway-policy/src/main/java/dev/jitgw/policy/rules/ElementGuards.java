package dev.jitgw.policy.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.jitgw.core.exchange.RequestSummary;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The top-level conjuncts of a rule's condition that ask whether the request offers a tool or a
 * skill of some kind: {@code request.tools.exists(t, t.name == "bash" ||
 * t.type.startsWith("bash_"))}, {@code !request.skills.exists(s, s.skill_id == "pdf")}.
 *
 * <p>A guard is such an {@code exists} over {@code request.tools} or {@code request.skills}, or its
 * negation, whose predicate is built only from the element's own fields and string literals: {@code
 * ==} and {@code !=} (the literal on either side), {@code startsWith}, {@code endsWith}, {@code
 * contains}, {@code in} a list of string literals, and {@code &&}, {@code ||}, {@code !} of those.
 * Every field of every element is a string ({@link RequestSummary.Tool}, {@link
 * RequestSummary.Skill}), so no part of such a predicate can err, and the guard computes exactly
 * the value CEL would give the conjunct. When it is {@code false}, so is the whole condition
 * ({@code false && x} is {@code false} in CEL even when {@code x} is an error): {@link Policy}
 * passes the rule over without evaluating it. CEL's interpreter spends several microseconds on such
 * a comprehension (it converts the list and each element on every access); the guard looks at the
 * request's few tools directly.
 */
public final class ElementGuards {
  private static final String OR = "_||_";
  private static final String AND = "_&&_";
  private static final String NOT = "!_";
  private static final String EQUALS = "_==_";
  private static final String NOT_EQUALS = "_!=_";
  private static final String IN = "@in";

  private ElementGuards() {}

  /** A predicate over one tool or skill. */
  @FunctionalInterface
  interface ElementTest {
    boolean test(Object element);
  }

  /**
   * One guard: whether some element of {@code request.<list>} passes the test is {@code exists}
   * ({@code false} for a negated {@code exists}); {@code description} says which, for tests and
   * traces of the loader.
   */
  public record Guard(String list, boolean exists, String description, ElementTest test) {
    /** Whether the conjunct this guard stands for is true for {@code request}. */
    boolean holds(RequestSummary request) {
      List<?> elements = list.equals("tools") ? request.tools() : request.skills();
      for (int i = 0; i < elements.size(); i++) {
        if (test.test(elements.get(i))) {
          return exists;
        }
      }
      return !exists;
    }

    @Override
    public String toString() {
      return (exists ? "" : "!") + list + ".exists(" + description + ")";
    }
  }

  /** The guards of a checked condition; none when no conjunct has the shape. */
  static List<Guard> of(CelAbstractSyntaxTree ast) {
    List<Guard> guards = new ArrayList<>();
    for (CelExpr conjunct : IdentityGuards.conjuncts(ast.getExpr())) {
      guard(ast, conjunct).ifPresent(guards::add);
    }
    return List.copyOf(guards);
  }

  /**
   * The guard {@code expr} is, when it is the expansion of the {@code exists} macro over {@code
   * request.tools} or {@code request.skills} (or its negation) with a predicate of the subset: the
   * accumulator starts {@code false}, each step is {@code accumulator || predicate}, the result is
   * the accumulator.
   */
  private static Optional<Guard> guard(CelAbstractSyntaxTree ast, CelExpr expr) {
    boolean exists = true;
    if (isCall(expr, NOT, 1)) {
      exists = false;
      expr = expr.call().args().get(0);
    }
    if (expr.getKind() != CelExpr.ExprKind.Kind.COMPREHENSION) {
      return Optional.empty();
    }
    CelExpr.CelComprehension loop = expr.comprehension();
    if (!loop.iterVar2().isEmpty()) {
      return Optional.empty();
    }
    String list =
        switch (variableName(ast, loop.iterRange())) {
          case "request.tools" -> "tools";
          case "request.skills" -> "skills";
          default -> "";
        };
    if (list.isEmpty()
        || !isBool(loop.accuInit(), false)
        || !isIdent(loop.result(), loop.accuVar())) {
      return Optional.empty();
    }
    CelExpr step = loop.loopStep();
    if (!isCall(step, OR, 2) || !isIdent(step.call().args().get(0), loop.accuVar())) {
      return Optional.empty();
    }
    StringBuilder description = new StringBuilder();
    ElementTest test = predicate(ast, step.call().args().get(1), loop.iterVar(), list, description);
    return test == null
        ? Optional.empty()
        : Optional.of(new Guard(list, exists, description.toString(), test));
  }

  /**
   * {@code expr} compiled into a test of one element, or {@code null} when it is not of the subset;
   * {@code description} gets its canonical text.
   */
  private static ElementTest predicate(
      CelAbstractSyntaxTree ast, CelExpr expr, String element, String list, StringBuilder out) {
    if (expr.getKind() != CelExpr.ExprKind.Kind.CALL) {
      return null;
    }
    CelExpr.CelCall call = expr.call();
    String function = call.function();
    if (call.target().isPresent()) {
      // x.field.startsWith("literal"), endsWith, contains
      if (call.args().size() != 1
          || !(function.equals("startsWith")
              || function.equals("endsWith")
              || function.equals("contains"))) {
        return null;
      }
      Field field = field(ast, call.target().get(), element, list);
      String literal = stringConstant(call.args().get(0));
      if (field == null || literal == null) {
        return null;
      }
      out.append(field.name).append('.').append(function).append('(').append(quoted(literal));
      out.append(')');
      return switch (function) {
        case "startsWith" -> e -> field.read(e).startsWith(literal);
        case "endsWith" -> e -> field.read(e).endsWith(literal);
        default -> e -> field.read(e).contains(literal);
      };
    }
    switch (function) {
      case NOT -> {
        if (call.args().size() != 1) {
          return null;
        }
        out.append("!(");
        ElementTest inner = predicate(ast, call.args().get(0), element, list, out);
        out.append(')');
        return inner == null ? null : e -> !inner.test(e);
      }
      case AND, OR -> {
        if (call.args().size() != 2) {
          return null;
        }
        out.append('(');
        ElementTest left = predicate(ast, call.args().get(0), element, list, out);
        out.append(function.equals(AND) ? " && " : " || ");
        ElementTest right =
            left == null ? null : predicate(ast, call.args().get(1), element, list, out);
        out.append(')');
        if (right == null) {
          return null;
        }
        return function.equals(AND)
            ? e -> left.test(e) && right.test(e)
            : e -> left.test(e) || right.test(e);
      }
      case EQUALS, NOT_EQUALS -> {
        if (call.args().size() != 2) {
          return null;
        }
        CelExpr left = call.args().get(0);
        CelExpr right = call.args().get(1);
        String literal = stringConstant(right);
        CelExpr select = left;
        if (literal == null) {
          literal = stringConstant(left);
          select = right;
        }
        Field field = literal == null ? null : field(ast, select, element, list);
        if (field == null) {
          return null;
        }
        boolean equals = function.equals(EQUALS);
        out.append(field.name).append(equals ? " == " : " != ").append(quoted(literal));
        String value = literal;
        return equals ? e -> value.equals(field.read(e)) : e -> !value.equals(field.read(e));
      }
      case IN -> {
        if (call.args().size() != 2) {
          return null;
        }
        Field field = field(ast, call.args().get(0), element, list);
        CelExpr values = call.args().get(1);
        if (field == null || values.getKind() != CelExpr.ExprKind.Kind.LIST) {
          return null;
        }
        Set<String> set = new LinkedHashSet<>();
        for (CelExpr value : values.list().elements()) {
          String literal = stringConstant(value);
          if (literal == null) {
            return null;
          }
          set.add(literal);
        }
        out.append(field.name).append(" in [");
        out.append(String.join(", ", set.stream().map(ElementGuards::quoted).toList()));
        out.append(']');
        Set<String> members = Set.copyOf(set);
        return e -> members.contains(field.read(e));
      }
      default -> {
        return null;
      }
    }
  }

  /** A field of the element: {@code name}/{@code type} of a tool, or a skill's three. */
  private record Field(String name, java.util.function.Function<Object, String> reader) {
    String read(Object element) {
      return reader.apply(element);
    }
  }

  /** The element's field {@code expr} selects ({@code element.field}), or {@code null}. */
  private static Field field(CelAbstractSyntaxTree ast, CelExpr expr, String element, String list) {
    if (expr.getKind() != CelExpr.ExprKind.Kind.SELECT
        || expr.select().testOnly()
        || ast.getReference(expr.id()).isPresent()
        || !isIdent(expr.select().operand(), element)) {
      return null;
    }
    String name = expr.select().field();
    java.util.function.Function<Object, String> reader =
        list.equals("tools")
            ? switch (name) {
              case "name" -> e -> ((RequestSummary.Tool) e).name();
              case "type" -> e -> ((RequestSummary.Tool) e).type();
              default -> null;
            }
            : switch (name) {
              case "skill_id" -> e -> ((RequestSummary.Skill) e).skillId();
              case "type" -> e -> ((RequestSummary.Skill) e).type();
              case "version" -> e -> ((RequestSummary.Skill) e).version();
              default -> null;
            };
    return reader == null ? null : new Field(name, reader);
  }

  private static String quoted(String literal) {
    return '"' + literal.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static boolean isCall(CelExpr expr, String function, int arguments) {
    return expr.getKind() == CelExpr.ExprKind.Kind.CALL
        && expr.call().target().isEmpty()
        && expr.call().function().equals(function)
        && expr.call().args().size() == arguments;
  }

  /** The variable an expression names: an identifier, or the name the checker resolved. */
  private static String variableName(CelAbstractSyntaxTree ast, CelExpr expr) {
    CelReference reference = ast.getReference(expr.id()).orElse(null);
    if (reference != null && reference.overloadIds().isEmpty() && !reference.value().isPresent()) {
      return reference.name();
    }
    return expr.getKind() == CelExpr.ExprKind.Kind.IDENT ? expr.ident().name() : "";
  }

  private static boolean isIdent(CelExpr expr, String name) {
    return expr.getKind() == CelExpr.ExprKind.Kind.IDENT && expr.ident().name().equals(name);
  }

  private static boolean isBool(CelExpr expr, boolean value) {
    return expr.getKind() == CelExpr.ExprKind.Kind.CONSTANT
        && expr.constant().getKind() == CelConstant.Kind.BOOLEAN_VALUE
        && expr.constant().booleanValue() == value;
  }

  private static String stringConstant(CelExpr expr) {
    return expr.getKind() == CelExpr.ExprKind.Kind.CONSTANT
            && expr.constant().getKind() == CelConstant.Kind.STRING_VALUE
        ? expr.constant().stringValue()
        : null;
  }
}
