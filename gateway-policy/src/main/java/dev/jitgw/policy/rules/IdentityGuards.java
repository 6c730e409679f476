package dev.jitgw.policy.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelReference;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a rule's condition that read the identity alone: the top-level conjuncts ({@code a
 * && b && c}) that name an {@code identity} variable and neither {@code request} nor {@code now}.
 * For one identity their value never changes, and when one of them is {@code false} the whole
 * condition is {@code false} (in CEL, {@code false && x} is {@code false} even when {@code x} is an
 * error), so the rule can be passed over without evaluating the rest for every request of that
 * identity. {@link Policy} remembers per identity which rules that rules out.
 *
 * <p>The guards are sub-expressions of the checked condition, evaluated as they are: no second
 * parse or check, the same types and overloads.
 */
final class IdentityGuards {
  private static final String AND = "_&&_";

  private IdentityGuards() {}

  /** The guards of a checked condition; none when no conjunct reads the identity alone. */
  static List<CelRuntime.Program> of(CelAbstractSyntaxTree ast, CelRuntime runtime) {
    List<CelRuntime.Program> guards = new ArrayList<>();
    for (CelExpr conjunct : conjuncts(ast.getExpr())) {
      if (!readsIdentityAlone(ast, conjunct)) {
        continue;
      }
      CelAbstractSyntaxTree guard =
          CelAbstractSyntaxTree.newCheckedAst(
              conjunct, ast.getSource(), ast.getReferenceMap(), ast.getTypeMap());
      try {
        guards.add(runtime.createProgram(guard));
      } catch (CelEvaluationException | RuntimeException e) {
        // Only an optimisation: without the guard the rule is evaluated whole, as written.
      }
    }
    return List.copyOf(guards);
  }

  /** The top-level conjuncts of {@code expr}: the terms of {@code a && b && c}, or itself. */
  static List<CelExpr> conjuncts(CelExpr expr) {
    List<CelExpr> conjuncts = new ArrayList<>();
    flatten(expr, conjuncts);
    return conjuncts;
  }

  private static void flatten(CelExpr expr, List<CelExpr> into) {
    if (expr.getKind() == CelExpr.ExprKind.Kind.CALL && expr.call().function().equals(AND)) {
      for (CelExpr arg : expr.call().args()) {
        flatten(arg, into);
      }
    } else {
      into.add(expr);
    }
  }

  /**
   * Whether {@code expr} names an identity variable and nothing of the request or the clock. Names
   * are those of identifiers and of the references the checker resolved ({@code identity.groups} is
   * one variable, see {@link CelVariables}); comprehension variables are neither.
   */
  private static boolean readsIdentityAlone(CelAbstractSyntaxTree ast, CelExpr expr) {
    boolean identity = false;
    for (CelNavigableExpr node :
        (Iterable<CelNavigableExpr>) CelNavigableExpr.fromExpr(expr).allNodes()::iterator) {
      CelExpr e = node.expr();
      List<String> names = new ArrayList<>(2);
      if (e.getKind() == CelExpr.ExprKind.Kind.IDENT) {
        names.add(e.ident().name());
      }
      CelReference reference = ast.getReference(e.id()).orElse(null);
      if (reference != null && reference.overloadIds().isEmpty()) {
        names.add(reference.name());
      }
      for (String name : names) {
        if (name.equals("now") || name.equals("request") || name.startsWith("request.")) {
          return false;
        }
        if (name.equals("identity") || name.startsWith("identity.")) {
          identity = true;
        }
      }
    }
    return identity;
  }
}
