package dev.jitgw.policy.masking;

/**
 * A custom detector: a {@link Regex} run as a Pike VM (one pass, every candidate start at once, at
 * most one thread per NFA state). Matches are leftmost-longest. Threads in the same state at the
 * same position have the same future, so keeping only the one that started first loses nothing; the
 * pattern is bounded, so every thread dies within {@link Regex#maxLength} characters.
 */
final class RegexDetector extends Detector {
  private final Regex regex;
  private final boolean[] firstAscii = new boolean[128];
  private final boolean anyFirst;
  private final ThreadLocal<Vm> vms;

  RegexDetector(String name, Regex regex) {
    super(name);
    this.regex = regex;
    for (char c = 0; c < 128; c++) {
      firstAscii[c] = regex.first.contains(c);
    }
    this.anyFirst = regex.first.isAll();
    this.vms = ThreadLocal.withInitial(() -> new Vm(regex.op.length));
  }

  /** A detector for whole-word occurrences of any of {@code terms}. */
  static RegexDetector terms(String name, Iterable<String> terms, boolean ignoreCase) {
    StringBuilder pattern = new StringBuilder(ignoreCase ? "(?i)" : "");
    pattern.append("(?:");
    boolean firstTerm = true;
    for (String term : terms) {
      if (!firstTerm) {
        pattern.append('|');
      }
      firstTerm = false;
      if (Chars.isWord(term.charAt(0))) {
        pattern.append("\\b");
      }
      pattern.append(Regex.quote(term));
      if (Chars.isWord(term.charAt(term.length() - 1))) {
        pattern.append("\\b");
      }
    }
    pattern.append(')');
    return new RegexDetector(name, Regex.compile(pattern.toString()));
  }

  String pattern() {
    return regex.pattern;
  }

  @Override
  int maxLength() {
    return regex.maxLength;
  }

  private boolean canStart(char c) {
    return anyFirst || (c < 128 ? firstAscii[c] : regex.first.contains(c));
  }

  @Override
  int classes() {
    return 0;
  }

  @Override
  int scan(ScanText text, int from, int limit, boolean complete, MatchSink sink) {
    return vms.get().run(text.chars, text.length, from, limit, complete, sink);
  }

  /** The mutable state of one scan; one per thread, reused. */
  private final class Vm {
    // Two thread lists: the NFA state (pc) and where its match started.
    private int[] pcs;
    private int[] starts;
    private int count;
    private int[] nextPcs;
    private int[] nextStarts;
    private int nextCount;
    private final int[] marks;
    private int generation;
    private final int[] stack;

    private char[] text;
    private int end;
    private boolean complete;
    private int bestStart;
    private int bestEnd;
    private int blocked;

    Vm(int size) {
      pcs = new int[size];
      starts = new int[size];
      nextPcs = new int[size];
      nextStarts = new int[size];
      marks = new int[size];
      stack = new int[2 * size + 2];
    }

    int run(char[] text, int end, int from, int limit, boolean complete, Detector.MatchSink sink) {
      this.text = text;
      this.end = end;
      this.complete = complete;
      try {
        return scan(from, limit, sink);
      } finally {
        this.text = null;
      }
    }

    private int scan(int from, int limit, Detector.MatchSink sink) {
      int i = from;
      outer:
      while (true) {
        int stop = Math.min(limit, end);
        while (i < stop && !canStart(text[i])) {
          i++;
        }
        if (i >= stop) {
          return limit;
        }
        bestStart = -1;
        bestEnd = -1;
        blocked = Integer.MAX_VALUE;
        nextCount = 0;
        newGeneration();
        add(0, i, i);
        swap();
        int pos = i;
        while (true) {
          if (bestStart >= 0) {
            // Threads that started after the best match can no longer win.
            while (count > 0 && starts[count - 1] > bestStart) {
              count--;
            }
          }
          if (pos == end && !complete && (count > 0 || blocked != Integer.MAX_VALUE)) {
            int pending = Math.min(blocked, count > 0 ? starts[0] : Integer.MAX_VALUE);
            if (bestStart >= 0) {
              pending = Math.min(pending, bestStart);
            }
            return Math.min(pending, limit);
          }
          if (count == 0 || pos == end) {
            if (bestStart >= 0) {
              sink.match(bestStart, bestEnd);
              i = bestEnd;
            } else {
              i = pos + 1; // every start up to pos was tried (or could not start)
            }
            continue outer;
          }
          char c = text[pos];
          nextCount = 0;
          newGeneration();
          for (int t = 0; t < count; t++) {
            int pc = pcs[t];
            if (regex.classes[pc].contains(c)) {
              add(pc + 1, starts[t], pos + 1);
            }
          }
          pos++;
          if (bestStart < 0 && pos < end && pos < limit && canStart(text[pos])) {
            add(0, pos, pos); // a new candidate start, after every older thread
          }
          swap();
        }
      }
    }

    private void newGeneration() {
      if (++generation == Integer.MAX_VALUE) {
        java.util.Arrays.fill(marks, 0);
        generation = 1;
      }
    }

    private void swap() {
      int[] p = pcs;
      pcs = nextPcs;
      nextPcs = p;
      int[] s = starts;
      starts = nextStarts;
      nextStarts = s;
      count = nextCount;
      nextCount = 0;
    }

    /** Adds the thread at {@code pc} and every state reachable without reading a char. */
    private void add(int pc0, int start, int at) {
      int top = 0;
      stack[top++] = pc0;
      while (top > 0) {
        int pc = stack[--top];
        if (marks[pc] == generation) {
          continue;
        }
        marks[pc] = generation;
        switch (regex.op[pc]) {
          case Regex.CHAR -> {
            nextPcs[nextCount] = pc;
            nextStarts[nextCount++] = start;
          }
          case Regex.SPLIT -> {
            stack[top++] = regex.y[pc];
            stack[top++] = regex.x[pc];
          }
          case Regex.JMP -> stack[top++] = regex.x[pc];
          case Regex.ASSERT -> {
            int holds = assertion(regex.x[pc], at);
            if (holds > 0) {
              stack[top++] = pc + 1;
            } else if (holds < 0) {
              blocked = Math.min(blocked, start);
            }
          }
          case Regex.MATCH -> {
            if (bestStart < 0 || start < bestStart || (start == bestStart && at > bestEnd)) {
              bestStart = start;
              bestEnd = at;
            }
          }
          default -> throw new IllegalStateException("op " + regex.op[pc]);
        }
      }
    }

    /** 1 if the assertion holds at {@code at}, 0 if not, -1 if the next char decides. */
    private int assertion(int kind, int at) {
      char before = at > 0 ? text[at - 1] : 0;
      boolean atEnd = at == end;
      if (atEnd && !complete && kind != Regex.BOL) {
        return -1;
      }
      char after = atEnd ? 0 : text[at];
      boolean holds =
          switch (kind) {
            case Regex.BOL -> at == 0 || before == '\n';
            case Regex.EOL -> atEnd || after == '\n';
            case Regex.WORD_BOUNDARY -> Chars.isWord(before) != Chars.isWord(after);
            default -> Chars.isWord(before) == Chars.isWord(after);
          };
      return holds ? 1 : 0;
    }
  }
}
