package dev.jitgw.policy.masking;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A regular expression of a custom detector, compiled to a Thompson NFA that {@link RegexDetector}
 * runs as a Pike VM: time linear in the text, whatever the pattern (no backtracking).
 *
 * <p>The syntax is the common subset of Java, RE2 and PCRE: literals and escapes, {@code .}, {@code
 * [...]} classes with ranges and negation, {@code \d \w \s} and their negations (ASCII), groups
 * {@code (...)} and {@code (?:...)}, alternation, {@code ? {n} {n,m}}, anchors {@code ^ $} (per
 * line) and {@code \b \B}, and a leading {@code (?i)} for case-insensitive matching.
 *
 * <p>Refused, with the reason: unbounded repetition ({@code * + {n,}}: a masked value needs a
 * maximum length, it bounds how much text a stream holds back), a pattern that can match the empty
 * string, matches longer than {@link #MAX_LENGTH}, lazy and possessive quantifiers, lookaround,
 * backreferences, named groups and Unicode properties.
 */
final class Regex {
  static final int MAX_LENGTH = 1024;
  static final int MAX_PROGRAM = 20_000;

  static final byte CHAR = 0;
  static final byte SPLIT = 1;
  static final byte JMP = 2;
  static final byte ASSERT = 3;
  static final byte MATCH = 4;

  static final int BOL = 0;
  static final int EOL = 1;
  static final int WORD_BOUNDARY = 2;
  static final int NOT_WORD_BOUNDARY = 3;

  final String pattern;
  final byte[] op;
  final int[] x;
  final int[] y;
  final CharClass[] classes;
  final int maxLength;
  final CharClass first;

  private Regex(String pattern, Program program, int maxLength) {
    this.pattern = pattern;
    this.op = Arrays.copyOf(program.op, program.size);
    this.x = Arrays.copyOf(program.x, program.size);
    this.y = Arrays.copyOf(program.y, program.size);
    this.classes = Arrays.copyOf(program.classes, program.size);
    this.maxLength = maxLength;
    this.first = firstChars();
  }

  /**
   * Compiles {@code pattern}.
   *
   * @throws IllegalArgumentException naming the position and what is wrong
   */
  static Regex compile(String pattern) {
    Parser parser = new Parser(pattern);
    Node node = parser.parse();
    long max = maxLength(node);
    if (max >= INFINITE) {
      throw new IllegalArgumentException(
          "unbounded repetition (* + or {n,}): write a bounded one such as {1,64}, a masked value"
              + " needs a maximum length");
    }
    if (max > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "matches up to " + max + " characters (expected: at most " + MAX_LENGTH + ")");
    }
    if (minLength(node) == 0) {
      throw new IllegalArgumentException("can match the empty string (expected: a value)");
    }
    Program program = new Program();
    program.emit(node);
    program.add(MATCH, 0, 0, null);
    return new Regex(pattern, program, (int) max);
  }

  /** Quotes {@code literal} so that it matches itself. */
  static String quote(String literal) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if ("\\^$.|?*+()[]{}-".indexOf(c) >= 0) {
        s.append('\\');
      }
      s.append(c);
    }
    return s.toString();
  }

  /** The chars a match can start with, for skipping ahead. */
  private CharClass firstChars() {
    CharClass.Builder b = new CharClass.Builder();
    boolean[] seen = new boolean[op.length];
    int[] stack = new int[op.length + 1];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      int pc = stack[--top];
      if (seen[pc]) {
        continue;
      }
      seen[pc] = true;
      switch (op[pc]) {
        case CHAR -> b.addAll(classes[pc]);
        case SPLIT -> {
          stack[top++] = x[pc];
          stack[top++] = y[pc];
        }
        case JMP -> stack[top++] = x[pc];
        case ASSERT -> stack[top++] = pc + 1;
        default -> {}
      }
    }
    return b.build();
  }

  // --- syntax tree ---

  private sealed interface Node permits Lit, Seq, Alt, Rep, Assert {}

  private record Lit(CharClass cls) implements Node {}

  private record Seq(List<Node> items) implements Node {}

  private record Alt(List<Node> options) implements Node {}

  private record Rep(Node node, int min, int max) implements Node {}

  private record Assert(int kind) implements Node {}

  private static final long INFINITE = Long.MAX_VALUE / 4;

  private static long maxLength(Node node) {
    if (node instanceof Lit) {
      return 1;
    }
    if (node instanceof Seq s) {
      long sum = 0;
      for (Node item : s.items()) {
        sum = Math.min(INFINITE, sum + maxLength(item));
      }
      return sum;
    }
    if (node instanceof Alt a) {
      long max = 0;
      for (Node option : a.options()) {
        max = Math.max(max, maxLength(option));
      }
      return max;
    }
    if (node instanceof Rep r) {
      long child = maxLength(r.node());
      if (r.max() < 0) {
        return child == 0 ? 0 : INFINITE;
      }
      return Math.min(INFINITE, child * r.max());
    }
    return 0; // Assert
  }

  private static long minLength(Node node) {
    if (node instanceof Lit) {
      return 1;
    }
    if (node instanceof Seq s) {
      long sum = 0;
      for (Node item : s.items()) {
        sum = Math.min(INFINITE, sum + minLength(item));
      }
      return sum;
    }
    if (node instanceof Alt a) {
      long min = INFINITE;
      for (Node option : a.options()) {
        min = Math.min(min, minLength(option));
      }
      return min;
    }
    if (node instanceof Rep r) {
      return Math.min(INFINITE, minLength(r.node()) * r.min());
    }
    return 0; // Assert
  }

  // --- program ---

  private static final class Program {
    byte[] op = new byte[16];
    int[] x = new int[16];
    int[] y = new int[16];
    CharClass[] classes = new CharClass[16];
    int size;

    int add(byte code, int a, int b, CharClass cls) {
      if (size == MAX_PROGRAM) {
        throw new IllegalArgumentException(
            "compiles to more than " + MAX_PROGRAM + " instructions (expected: a smaller pattern)");
      }
      if (size == op.length) {
        int n = size * 2;
        op = Arrays.copyOf(op, n);
        x = Arrays.copyOf(x, n);
        y = Arrays.copyOf(y, n);
        classes = Arrays.copyOf(classes, n);
      }
      op[size] = code;
      x[size] = a;
      y[size] = b;
      classes[size] = cls;
      return size++;
    }

    void emit(Node node) {
      if (node instanceof Lit l) {
        add(CHAR, 0, 0, l.cls());
      } else if (node instanceof Assert a) {
        add(ASSERT, a.kind(), 0, null);
      } else if (node instanceof Seq s) {
        s.items().forEach(this::emit);
      } else if (node instanceof Alt a) {
        List<Integer> jumps = new ArrayList<>();
        List<Node> options = a.options();
        for (int i = 0; i < options.size() - 1; i++) {
          int split = add(SPLIT, 0, 0, null);
          x[split] = size;
          emit(options.get(i));
          jumps.add(add(JMP, 0, 0, null));
          y[split] = size;
        }
        emit(options.get(options.size() - 1));
        for (int jump : jumps) {
          x[jump] = size;
        }
      } else if (node instanceof Rep r) {
        for (int i = 0; i < r.min(); i++) {
          emit(r.node());
        }
        // x{0,k} as (x(x(x)?)?)?: every optional copy may skip to the end.
        List<Integer> splits = new ArrayList<>();
        for (int i = r.min(); i < r.max(); i++) {
          int split = add(SPLIT, 0, 0, null);
          x[split] = size;
          splits.add(split);
          emit(r.node());
        }
        for (int split : splits) {
          y[split] = size;
        }
      }
    }
  }

  // --- parser ---

  private static final class Parser {
    private final String p;
    private int pos;
    private boolean ignoreCase;

    Parser(String pattern) {
      this.p = pattern;
    }

    Node parse() {
      if (p.startsWith("(?i)")) {
        ignoreCase = true;
        pos = 4;
      }
      Node node = alternation();
      if (pos < p.length()) {
        throw error("unmatched ')'");
      }
      return node;
    }

    private IllegalArgumentException error(String message) {
      return new IllegalArgumentException("at index " + pos + ": " + message);
    }

    private boolean more() {
      return pos < p.length();
    }

    private char peek() {
      return p.charAt(pos);
    }

    private Node alternation() {
      List<Node> options = new ArrayList<>();
      options.add(sequence());
      while (more() && peek() == '|') {
        pos++;
        options.add(sequence());
      }
      return options.size() == 1 ? options.get(0) : new Alt(options);
    }

    private Node sequence() {
      List<Node> items = new ArrayList<>();
      while (more() && peek() != '|' && peek() != ')') {
        items.add(repetition());
      }
      return items.size() == 1 ? items.get(0) : new Seq(items);
    }

    private Node repetition() {
      Node atom = atom();
      if (!more()) {
        return atom;
      }
      int min;
      int max;
      char c = peek();
      if (c == '?') {
        min = 0;
        max = 1;
        pos++;
      } else if (c == '*') {
        min = 0;
        max = -1;
        pos++;
      } else if (c == '+') {
        min = 1;
        max = -1;
        pos++;
      } else if (c == '{') {
        int close = p.indexOf('}', pos);
        if (close < 0) {
          throw error("'{' without '}' (write \\{ for a literal brace)");
        }
        String body = p.substring(pos + 1, close);
        try {
          int comma = body.indexOf(',');
          if (comma < 0) {
            min = max = Integer.parseInt(body);
          } else {
            min = Integer.parseInt(body.substring(0, comma));
            String upper = body.substring(comma + 1);
            max = upper.isEmpty() ? -1 : Integer.parseInt(upper);
          }
        } catch (NumberFormatException e) {
          throw error("bad repetition {" + body + "} (expected {n}, {n,m})");
        }
        if (min < 0 || (max >= 0 && max < min) || max > MAX_LENGTH || min > MAX_LENGTH) {
          throw error("bad repetition {" + body + "} (expected 0 <= n <= m <= " + MAX_LENGTH + ")");
        }
        pos = close + 1;
      } else {
        return atom;
      }
      if (atom instanceof Assert) {
        throw error("an anchor cannot be repeated");
      }
      if (more() && (peek() == '?' || peek() == '+')) {
        throw error(
            "lazy and possessive quantifiers are not supported (matching is longest-first)");
      }
      if (more() && (peek() == '*' || peek() == '{')) {
        throw error("nothing to repeat");
      }
      return new Rep(atom, min, max);
    }

    private Node atom() {
      char c = peek();
      switch (c) {
        case '(' -> {
          pos++;
          if (p.startsWith("?:", pos)) {
            pos += 2;
          } else if (more() && peek() == '?') {
            throw error(
                "only (...) and (?:...) groups are supported (no lookaround, backreferences,"
                    + " named groups or inline flags after the start)");
          }
          Node inner = alternation();
          if (!more() || peek() != ')') {
            throw error("missing ')'");
          }
          pos++;
          return inner;
        }
        case '[' -> {
          return new Lit(charClass());
        }
        case '.' -> {
          pos++;
          return new Lit(CharClass.ANY_BUT_NEWLINE);
        }
        case '^' -> {
          pos++;
          return new Assert(BOL);
        }
        case '$' -> {
          pos++;
          return new Assert(EOL);
        }
        case '\\' -> {
          pos++;
          return escape();
        }
        case '*', '+', '?', '{' -> throw error("nothing to repeat before '" + c + "'");
        case ')' -> throw error("unmatched ')'");
        default -> {
          pos++;
          return literal(c);
        }
      }
    }

    private Node literal(char c) {
      if (Character.isSurrogate(c)) {
        throw error("characters outside the Basic Multilingual Plane are not supported");
      }
      CharClass cls = CharClass.of(c);
      return new Lit(ignoreCase ? cls.foldCase() : cls);
    }

    private Node escape() {
      if (!more()) {
        throw error("trailing backslash");
      }
      char c = p.charAt(pos++);
      switch (c) {
        case 'b':
          return new Assert(WORD_BOUNDARY);
        case 'B':
          return new Assert(NOT_WORD_BOUNDARY);
        default:
          CharClass cls = classEscape(c);
          if (cls != null) {
            return new Lit(cls);
          }
          return literal(escapedChar(c));
      }
    }

    /** {@code \d \D \w \W \s \S}, or null. */
    private static CharClass classEscape(char c) {
      return switch (c) {
        case 'd' -> CharClass.DIGIT;
        case 'D' -> CharClass.DIGIT.negate();
        case 'w' -> CharClass.WORD;
        case 'W' -> CharClass.WORD.negate();
        case 's' -> CharClass.SPACE;
        case 'S' -> CharClass.SPACE.negate();
        default -> null;
      };
    }

    /** The char an escape other than a class stands for. */
    private char escapedChar(char c) {
      switch (c) {
        case 'n':
          return '\n';
        case 'r':
          return '\r';
        case 't':
          return '\t';
        case 'f':
          return '\f';
        case 'v':
          return '\u000B';
        case 'e':
          return '\u001B';
        case 'a':
          return '\u0007';
        case 'x':
          return hex(2);
        case 'u':
          return hex(4);
        default:
          if (c >= '1' && c <= '9') {
            throw error("backreferences are not supported");
          }
          if (Character.isLetterOrDigit(c)) {
            throw error("unsupported escape \\" + c);
          }
          return c;
      }
    }

    private char hex(int digits) {
      if (pos + digits > p.length()) {
        throw error("incomplete hex escape");
      }
      try {
        char c = (char) Integer.parseInt(p.substring(pos, pos + digits), 16);
        pos += digits;
        return c;
      } catch (NumberFormatException e) {
        throw error("bad hex escape");
      }
    }

    private CharClass charClass() {
      pos++; // '['
      boolean negated = false;
      if (more() && peek() == '^') {
        negated = true;
        pos++;
      }
      CharClass.Builder b = new CharClass.Builder();
      boolean firstItem = true;
      while (true) {
        if (!more()) {
          throw error("missing ']'");
        }
        char c = p.charAt(pos);
        if (c == ']' && !firstItem) {
          pos++;
          break;
        }
        firstItem = false;
        if (c == '[') {
          throw error("nested classes and class operations are not supported (write \\[)");
        }
        int lo;
        pos++;
        if (c == '\\') {
          if (!more()) {
            throw error("trailing backslash");
          }
          char e = p.charAt(pos++);
          CharClass cls = classEscape(e);
          if (cls != null) {
            b.addAll(cls);
            continue;
          }
          if (e == 'b') {
            throw error("\\b inside a class is not supported");
          }
          lo = escapedChar(e);
        } else {
          lo = c;
        }
        if (Character.isSurrogate((char) lo)) {
          throw error("characters outside the Basic Multilingual Plane are not supported");
        }
        if (pos + 1 < p.length() && peek() == '-' && p.charAt(pos + 1) != ']') {
          pos++;
          char h = p.charAt(pos++);
          int hi;
          if (h == '\\') {
            if (!more()) {
              throw error("trailing backslash");
            }
            char e = p.charAt(pos++);
            if (classEscape(e) != null) {
              throw error("a range cannot end with a class escape");
            }
            hi = escapedChar(e);
          } else {
            hi = h;
          }
          if (hi < lo) {
            throw error("range out of order");
          }
          b.add(lo, hi);
        } else {
          b.add(lo);
        }
      }
      CharClass cls = b.build();
      if (ignoreCase) {
        cls = cls.foldCase();
      }
      return negated ? cls.negate() : cls;
    }
  }
}
