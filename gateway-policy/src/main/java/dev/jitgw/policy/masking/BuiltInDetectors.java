package dev.jitgw.policy.masking;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The detectors every policy can name. Each is stateless and shared. */
final class BuiltInDetectors {
  private BuiltInDetectors() {}

  /**
   * By name, in the order their matches win ties (same start, same length): specific secrets first,
   * the label-based {@code generic_secret} last.
   */
  private static final Map<String, Detector> ALL = new LinkedHashMap<>();

  static {
    for (Detector d :
        List.of(
            new PrivateKeyDetector(),
            new AnthropicKeyDetector(),
            new AwsAccessKeyDetector(),
            new JwtDetector(),
            new EmailDetector(),
            new CreditCardDetector(),
            new SsnDetector(),
            new IbanDetector(),
            new PhoneDetector(),
            new Ipv4Detector(),
            new Ipv6Detector(),
            new GenericSecretDetector())) {
      ALL.put(d.name(), d);
    }
  }

  static Optional<Detector> named(String name) {
    return Optional.ofNullable(ALL.get(name));
  }

  static List<String> names() {
    return List.copyOf(ALL.keySet());
  }
}
