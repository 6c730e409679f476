package dev.jitgw.policy.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.jitgw.core.exchange.RequestSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The top-level conjuncts of a rule's condition that ask whether the request offers a tool or a
 * skill with a given field value: {@code request.tools.exists(t, t.name == "bash")}, {@code
 * request.skills.exists(s, s.skill_id == "pdf")} (the literal on either side of {@code ==}).
 *
 * <p>Every element of {@code request.tools} and {@code request.skills} has each of its fields as a
 * string ({@link RequestSummary#toCelValue()}), so such a conjunct is true exactly when some
 * element's field equals the literal, and never an error. When no element's does, the conjunct is
 * {@code false}, and so is the whole condition ({@code false && x} is {@code false} in CEL even
 * when {@code x} is an error): {@link Policy} passes the rule over without evaluating it. CEL's
 * interpreter spends several microseconds on such a comprehension (it converts the list and each
 * element on every access); the guard looks at the request's few tools directly.
 */
public final class ElementGuards {
  private static final String OR = "_||_";
  private static final String EQUALS = "_==_";

  private ElementGuards() {}

  /** One guard: some element of {@code request.<list>} has {@code field} equal to {@code value}. */
  public record Guard(String list, String field, String value) {
    /** Whether {@code request} has such an element. */
    boolean holds(RequestSummary request) {
      if (list.equals("tools")) {
        for (RequestSummary.Tool tool : request.tools()) {
          String actual = field.equals("name") ? tool.name() : tool.type();
          if (value.equals(actual)) {
            return true;
          }
        }
        return false;
      }
      for (RequestSummary.Skill skill : request.skills()) {
        String actual =
            switch (field) {
              case "skill_id" -> skill.skillId();
              case "type" -> skill.type();
              default -> skill.version();
            };
        if (value.equals(actual)) {
          return true;
        }
      }
      return false;
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
   * request.tools} or {@code request.skills} with a predicate {@code x.field == "literal"}: the
   * accumulator starts {@code false}, each step is {@code accumulator || predicate}, the result is
   * the accumulator.
   */
  private static Optional<Guard> guard(CelAbstractSyntaxTree ast, CelExpr expr) {
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
    if (step.getKind() != CelExpr.ExprKind.Kind.CALL
        || !step.call().function().equals(OR)
        || step.call().args().size() != 2
        || !isIdent(step.call().args().get(0), loop.accuVar())) {
      return Optional.empty();
    }
    CelExpr predicate = step.call().args().get(1);
    if (predicate.getKind() != CelExpr.ExprKind.Kind.CALL
        || !predicate.call().function().equals(EQUALS)
        || predicate.call().args().size() != 2) {
      return Optional.empty();
    }
    CelExpr left = predicate.call().args().get(0);
    CelExpr right = predicate.call().args().get(1);
    String value = stringConstant(right);
    CelExpr select = left;
    if (value == null) {
      value = stringConstant(left);
      select = right;
    }
    if (value == null
        || select.getKind() != CelExpr.ExprKind.Kind.SELECT
        || select.select().testOnly()
        || ast.getReference(select.id()).isPresent()
        || !isIdent(select.select().operand(), loop.iterVar())) {
      return Optional.empty();
    }
    String field = select.select().field();
    boolean known =
        list.equals("tools")
            ? field.equals("name") || field.equals("type")
            : field.equals("skill_id") || field.equals("type") || field.equals("version");
    return known ? Optional.of(new Guard(list, field, value)) : Optional.empty();
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
