package dev.jitgw.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link DataSize}, {@link Durations} and {@link HostPort}: the value syntaxes of the config. */
class ValueTypesTest {

  // --- DataSize ---------------------------------------------------------------------------

  @ParameterizedTest(name = "\"{0}\" = {1} bytes")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          0         | 0
          1         | 1
          1024      | 1024
          1b        | 1
          10B       | 10
          1k        | 1024
          1kb       | 1024
          512KiB    | 524288
          512kib    | 524288
          1m        | 1048576
          1MB       | 1048576
          32MiB     | 33554432
          1g        | 1073741824
          1GB       | 1073741824
          1GiB      | 1073741824
          8 KiB     | 8192
          '  16MiB '| 16777216
          """)
  void dataSizeParses(String text, long bytes) {
    assertThat(DataSize.parse(text).bytes()).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "", " ", "MiB", "-1", "-1MiB", "1.5MiB", "32 TiB", "32MiBs", "lots", "0x10", "1 2"
      })
  void dataSizeRefusesGarbage(String text) {
    assertThatThrownBy(() -> DataSize.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a size");
  }

  @Test
  void dataSizeRefusesOverflow() {
    assertThatThrownBy(() -> DataSize.parse("9223372036854775807GiB"))
        .isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> DataSize.parse("99999999999999999999"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dataSizeRefusesNegativeBytes() {
    assertThatThrownBy(() -> new DataSize(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(">= 0");
  }

  @ParameterizedTest(name = "{0} bytes -> \"{1}\"")
  @CsvSource(
      textBlock =
          """
          0,          0
          1,          1
          1000,       1000
          1024,       1KiB
          1536,       1536
          8192,       8KiB
          1048576,    1MiB
          1049600,    1025KiB
          33554432,   32MiB
          1073741824, 1GiB
          2147483648, 2GiB
          3221225472, 3GiB
          1610612736, 1536MiB
          """)
  void dataSizePrintsItsLargestExactUnitAndParsesBack(long bytes, String text) {
    DataSize size = new DataSize(bytes);

    assertThat(size.toString()).isEqualTo(text);
    assertThat(DataSize.parse(size.toString())).isEqualTo(size);
  }

  @Test
  void dataSizeFactoriesAndIntConversion() {
    assertThat(DataSize.ofKibibytes(32)).isEqualTo(DataSize.parse("32KiB"));
    assertThat(DataSize.ofMebibytes(32)).isEqualTo(DataSize.parse("32MiB"));
    assertThat(DataSize.of(7).bytes()).isEqualTo(7);
    assertThat(DataSize.parse("1GiB").toIntBytes()).isEqualTo(1 << 30);
    assertThatThrownBy(() -> DataSize.parse("2GiB").toIntBytes())
        .isInstanceOf(ArithmeticException.class);
  }

  // --- Durations --------------------------------------------------------------------------

  @ParameterizedTest(name = "\"{0}\" = {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          0s        | PT0S
          500ms     | PT0.5S
          1ms       | PT0.001S
          30s       | PT30S
          5m        | PT5M
          90m       | PT1H30M
          1h        | PT1H
          2d        | PT48H
          10 s      | PT10S
          '  5M  '  | PT5M
          15MS      | PT0.015S
          PT30S     | PT30S
          pt30s     | PT30S
          PT1M30S   | PT1M30S
          P1D       | PT24H
          """)
  void durationParses(String text, Duration expected) {
    assertThat(Durations.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {"", " ", "soon", "5", "s", "1.5s", "-5s", "5 minutes", "5sec", "1y", "PT", "ms5"})
  void durationRefusesGarbage(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a duration")
        .hasMessageContaining("'" + text + "'");
  }

  @ParameterizedTest(name = "{0} -> \"{1}\"")
  @CsvSource(
      textBlock =
          """
          PT0S,         0s
          PT0.001S,     1ms
          PT0.5S,       500ms
          PT1.5S,       1500ms
          PT1S,         1s
          PT59S,        59s
          PT90S,        90s
          PT1M,         1m
          PT61M,        61m
          PT1H,         1h
          PT24H,        24h
          PT1H0.001S,   3600001ms
          """)
  void durationFormatsAndParsesBack(Duration duration, String text) {
    assertThat(Durations.format(duration)).isEqualTo(text);
    assertThat(Durations.parse(Durations.format(duration))).isEqualTo(duration);
  }

  @Test
  void formatRoundTripsEveryMillisecondDuration() {
    for (long millis :
        new long[] {1, 7, 999, 1000, 1001, 59_999, 60_000, 3_599_999, 3_600_000, 86_400_000L}) {
      Duration d = Duration.ofMillis(millis);
      assertThat(Durations.parse(Durations.format(d))).as("%s", d).isEqualTo(d);
    }
  }

  @Test
  void positiveRefusesZeroAndNegativeAndAppliesTheFallback() {
    assertThat(Durations.positive("t", null, Duration.ofSeconds(3)))
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(Durations.positive("t", Duration.ofMillis(1), Duration.ofSeconds(3)))
        .isEqualTo(Duration.ofMillis(1));
    assertThatThrownBy(() -> Durations.positive("drain_timeout", Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("drain_timeout: 0s (expected: > 0)");
    assertThatThrownBy(() -> Durations.positive("t", Duration.ofSeconds(-5), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("t: -5s");
  }

  // --- HostPort ---------------------------------------------------------------------------

  @ParameterizedTest(name = "\"{0}\" -> {1} port {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          0.0.0.0:8080          | 0.0.0.0       | 8080 | 0.0.0.0:8080
          127.0.0.1:0           | 127.0.0.1     | 0    | 127.0.0.1:0
          localhost:65535       | localhost     | 65535| localhost:65535
          :8080                 | 0.0.0.0       | 8080 | 0.0.0.0:8080
          [::1]:9               | ::1           | 9    | [::1]:9
          [::]:8080             | ::            | 8080 | [::]:8080
          [fe80::1%eth0]:443    | fe80::1%eth0  | 443  | [fe80::1%eth0]:443
          '  10.1.2.3:80  '     | 10.1.2.3      | 80   | 10.1.2.3:80
          gateway.internal:9090 | gateway.internal | 9090 | gateway.internal:9090
          """)
  void hostPortParses(String text, String host, int port, String printed) {
    HostPort parsed = HostPort.parse(text);

    assertThat(parsed.host()).isEqualTo(host);
    assertThat(parsed.port()).isEqualTo(port);
    assertThat(parsed.toString()).isEqualTo(printed);
    assertThat(HostPort.parse(parsed.toString())).isEqualTo(parsed);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          nonsense          | is not host:port
          ""                | is not host:port
          localhost:        | has no numeric port
          localhost:http    | has no numeric port
          localhost:80x     | has no numeric port
          [::1]             | is not [address]:port
          [::1]:            | has no numeric port
          localhost:65536   | port: 65536
          localhost:99999   | port: 99999
          localhost:-1      | port: -1
          localhost:2147483648 | has no numeric port
          """)
  void hostPortRefusesBadInput(String text, String problem) {
    assertThatThrownBy(() -> HostPort.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(problem);
  }

  @Test
  void hostPortRequiresAHostAndAValidPort() {
    assertThatThrownBy(() -> new HostPort("", 80)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HostPort(null, 80)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> HostPort.parse(null)).isInstanceOf(NullPointerException.class);
    assertThat(new HostPort("h", 0).port()).isZero();
    assertThat(new HostPort("h", 65535).port()).isEqualTo(65535);
  }

  @Test
  void hostPortGivesASocketAddress() {
    assertThat(HostPort.parse("127.0.0.1:0").toSocketAddress().getPort()).isZero();
    assertThat(HostPort.parse("127.0.0.1:0").toSocketAddress().getAddress().isLoopbackAddress())
        .isTrue();
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"::1", "fe80::1", "2001:db8::1"})
  void unbracketedIpv6IsRefused(String text) {
    assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
