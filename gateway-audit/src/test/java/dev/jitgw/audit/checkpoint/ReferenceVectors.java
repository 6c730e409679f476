package dev.jitgw.audit.checkpoint;

/**
 * Test vectors copied verbatim from the reference implementations, so that this package is checked
 * against Go's, not only against itself.
 */
final class ReferenceVectors {
  private ReferenceVectors() {}

  // --- golang.org/x/mod, sumdb/note/note_test.go (TestNewVerifier, TestNewSigner, TestSign,
  // TestVerifierList, TestOpen) ---------------------------------------------------------------

  static final String PETER_VKEY =
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  static final String PETER_SKEY =
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  static final String ENOCH_VKEY =
      "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";

  static final String TEXT =
      "If you think cryptography is the answer to your problem,\n"
          + "then you don't know what your problem is.\n";
  static final String PETER_SIG =
      "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
  static final String ENOCH_SIG =
      "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

  /** TestSign's {@code want}: the text signed by PeterNeumann. */
  static final String PETER_NOTE = TEXT + "\n" + PETER_SIG;

  /** TestNewVerifier: wrong length key, with adjusted key hash. */
  static final String BAD_KEY_LENGTH =
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";

  /** TestNewVerifier: unknown algorithm, with adjusted key hash. */
  static final String BAD_KEY_ALGORITHM =
      "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

  // --- github.com/transparency-dev/formats, log/note_test.go ----------------------------------

  static final String LOG_VK = "Log+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs";
  static final String LOG_SK =
      "PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ";
  static final String KNOWN1_VK = "Known+451c786d+AXAQ0T7lbwuY4ABJ9/MYY9bWV3hmSyOGVt2x42NkmdUH";
  static final String KNOWN1_SK =
      "PRIVATE+KEY+Known+451c786d+AQPRoE2+Z+Ed1HaHBA9F/FfracvcZ2rDU39kCecMEoci";
  static final String KNOWN2_VK =
      "KnownAgain+4893b26c+AQ+LR7BFF/F/dkpIBjBpSvT0crkteizuUkavAoGeaYMj";
  static final String KNOWN2_SK =
      "PRIVATE+KEY+KnownAgain+4893b26c+ARhZda/l25zjGZswYLDZsLNRzNpmv5wYTN9IoTr1OJ2+";
  static final String UNKNOWN_VK = "Unknown+fdbb2e08+AWgRIYZ+8x1Vl+1Q+sR8zciNHiYI1SdlBjNw+RV0rots";
  static final String UNKNOWN_SK =
      "PRIVATE+KEY+Unknown+fdbb2e08+Aav2knTC6orbhXX8pMWuNiWgO+Wwk2DB+h1eU2Q1W1nU";

  /** TestSumDBNoteParsing: a real checkpoint of the Go checksum database, and its key. */
  static final String SUMDB_VKEY =
      "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

  static final String SUMDB_CHECKPOINT =
      "go.sum database tree\n"
          + "6476701\n"
          + "mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n"
          + "\n"
          + "— sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=\n";
}
