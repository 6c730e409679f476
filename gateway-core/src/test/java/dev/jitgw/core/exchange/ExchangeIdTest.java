package dev.jitgw.core.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class ExchangeIdTest {
  private static final String CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final Clock BASE =
      Clock.fixed(Instant.parse("2025-06-01T12:00:00Z"), ZoneOffset.UTC);

  /** Decodes the 10 time characters after the prefix back to epoch milliseconds. */
  private static long millisOf(String id) {
    long millis = 0;
    for (char c : id.substring(3, 13).toCharArray()) {
      millis = millis * 32 + CROCKFORD.indexOf(c);
    }
    return millis;
  }

  private static Clock at(long epochMillis) {
    return Clock.fixed(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }

  @Test
  void idsHaveTheDocumentedShapeAndAreValid() {
    String id = ExchangeId.next(BASE);

    assertThat(id).startsWith("ex_").hasSize(29).matches("ex_[0-9A-HJKMNP-TV-Z]{26}");
    assertThat(ExchangeId.isValid(id)).isTrue();
  }

  @Test
  void theTimePartEncodesTheClockMillis() {
    assertThat(millisOf(ExchangeId.next(BASE))).isEqualTo(BASE.millis());
    assertThat(ExchangeId.next(at(0))).startsWith("ex_0000000000");
    assertThat(ExchangeId.next(at(1))).startsWith("ex_0000000001");
    assertThat(ExchangeId.next(at(32))).startsWith("ex_0000000010");
    // The largest 48-bit time.
    assertThat(ExchangeId.next(at((1L << 48) - 1))).startsWith("ex_7ZZZZZZZZZ");
  }

  @Test
  void tenThousandIdsAtTheSameMillisecondAreUniqueAndValid() {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = ExchangeId.next(BASE);
      assertThat(ExchangeId.isValid(id)).as(id).isTrue();
      ids.add(id);
    }

    assertThat(ids).hasSize(10_000);
    assertThat(ids).allSatisfy(id -> assertThat(millisOf(id)).isEqualTo(BASE.millis()));
  }

  @Test
  void idsSortByTimeAsTheClockAdvances() {
    List<String> ids = new ArrayList<>();
    long[] stepsMillis = {0, 1, 2, 31, 32, 33, 999, 1000, 60_000, 3_600_000, 86_400_000L};
    for (long step : stepsMillis) {
      ids.add(ExchangeId.next(Clock.offset(BASE, Duration.ofMillis(step))));
    }
    for (int ms = 1; ms <= 2_000; ms++) {
      ids.add(ExchangeId.next(Clock.offset(BASE, Duration.ofDays(2).plusMillis(ms))));
    }

    assertThat(ids).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void idsSortByTimeAcrossWidelySpreadTimes() {
    List<String> ids = new ArrayList<>();
    for (long millis :
        new long[] {0, 1, 1L << 10, 1L << 20, 1L << 30, 1L << 40, BASE.millis(), (1L << 48) - 1}) {
      ids.add(ExchangeId.next(at(millis)));
    }

    assertThat(ids).isSorted();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        "ex_",
        "01JD8X3Q5Z7K9M2N4P6R8T0V1W", // a bare ULID
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1", // 25 characters
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1WX", // 27 characters
        "EX_01JD8X3Q5Z7K9M2N4P6R8T0V1W", // prefix case
        "ex-01JD8X3Q5Z7K9M2N4P6R8T0V1W", // prefix separator
        "ex_01jd8x3q5z7k9m2n4p6r8t0v1w", // lower case
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1I", // I is not Crockford
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1L", // L is not Crockford
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1O", // O is not Crockford
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1U", // U is not Crockford
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1-",
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1 ",
        " ex_01JD8X3Q5Z7K9M2N4P6R8T0V1",
        "ex_01JD8X3Q5Z7K9M2N4P6R8T0V1\u00c9"
      })
  void malformedIdsAreInvalid(String value) {
    assertThat(ExchangeId.isValid(value)).isFalse();
  }

  @Test
  void aWellFormedIdIsValid() {
    assertThat(ExchangeId.isValid("ex_01JD8X3Q5Z7K9M2N4P6R8T0V1W")).isTrue();
    assertThat(ExchangeId.isValid("ex_00000000000000000000000000")).isTrue();
  }
}
