package dev.jitgw.audit.checkpoint;

import static dev.jitgw.audit.checkpoint.ReferenceVectors.KNOWN1_SK;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.SUMDB_CHECKPOINT;
import static dev.jitgw.audit.checkpoint.ReferenceVectors.SUMDB_VKEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jitgw.audit.checkpoint.NoteVerificationException.Reason;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SignedCheckpoint}: checkpoints as signed notes. */
class SignedCheckpointTest {

  private static final String ORIGIN = "jitgw.example/audit";
  private static final NoteSigner LOG = NoteSigner.generate(ORIGIN);
  private static final byte[] ROOT =
      Base64.getDecoder().decode("mb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=");

  @Test
  void signsAndOpens() throws Exception {
    Checkpoint checkpoint = new Checkpoint(ORIGIN, 1234, ROOT);

    String note = SignedCheckpoint.sign(checkpoint, LOG);

    assertThat(note)
        .startsWith(checkpoint.body() + "\n— " + ORIGIN + " ")
        .endsWith("\n")
        .hasLineCount(5);
    NoteVerifier verifier = NoteVerifier.parse(LOG.verifierKey());
    assertThat(SignedCheckpoint.open(note, verifier)).isEqualTo(checkpoint);
  }

  @Test
  void roundTripsExtensionLines() throws Exception {
    Checkpoint checkpoint = new Checkpoint(ORIGIN, 7, ROOT, List.of("Timestamp: 1700000000"));

    assertThat(SignedCheckpoint.open(SignedCheckpoint.sign(checkpoint, LOG), LOG.verifier()))
        .isEqualTo(checkpoint);
  }

  /** A real checkpoint of sum.golang.org (transparency-dev/formats' TestSumDBNoteParsing). */
  @Test
  void opensARealGoChecksumDatabaseCheckpoint() throws Exception {
    NoteVerifier sumdb = NoteVerifier.parse(SUMDB_VKEY);

    Checkpoint checkpoint = SignedCheckpoint.open(SUMDB_CHECKPOINT, sumdb, "go.sum database tree");

    assertThat(checkpoint.origin()).isEqualTo("go.sum database tree");
    assertThat(checkpoint.size()).isEqualTo(6476701);
    assertThat(checkpoint.rootHash()).isEqualTo(ROOT);
    assertThat(checkpoint.extensions()).isEmpty();
    assertThat(checkpoint.body() + "\n")
        .isEqualTo(SUMDB_CHECKPOINT.substring(0, SUMDB_CHECKPOINT.indexOf("— ")));
  }

  @Test
  void theGoChecksumDatabaseIsNotNamedAfterItsOrigin() {
    // sum.golang.org predates the convention: its key name is not its origin, so the two-argument
    // open (this log's convention) refuses it (transparency-dev/formats' "wrong logID" case).
    NoteVerifier sumdb = NoteVerifier.parse(SUMDB_VKEY);

    assertThatThrownBy(() -> SignedCheckpoint.open(SUMDB_CHECKPOINT, sumdb))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessage(
            "checkpoint signed by sum.golang.org+033de0ae has origin \"go.sum database tree\""
                + " (expected \"sum.golang.org\")")
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.WRONG_ORIGIN);
  }

  @Test
  void witnessCosignaturesAreIgnored() throws Exception {
    Checkpoint checkpoint = new Checkpoint(ORIGIN, 99, ROOT);
    NoteSigner witness = NoteSigner.parse(KNOWN1_SK);
    String cosigned =
        SignedCheckpoint.sign(checkpoint, LOG) + witness.signatureLine(checkpoint.body()) + "\n";

    assertThat(SignedCheckpoint.open(cosigned, LOG.verifier())).isEqualTo(checkpoint);
    assertThat(witness.verifier().open(cosigned).text()).isEqualTo(checkpoint.body());
  }

  @Test
  void signRefusesAKeyNotNamedAfterTheOrigin() {
    Checkpoint checkpoint = new Checkpoint("other.example/log", 1, ROOT);

    assertThatThrownBy(() -> SignedCheckpoint.sign(checkpoint, LOG))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "key "
                + LOG.keyId()
                + " is named \"jitgw.example/audit\" but the checkpoint origin is"
                + " \"other.example/log\" (expected the key name to be the origin;"
                + " tlog-checkpoint §Signatures)");
  }

  @Test
  void refusesASignedNoteThatIsNotACheckpoint() {
    String note = LOG.sign("if this is a valid checkpoint then I'll eat my hat\n");

    assertThatThrownBy(() -> SignedCheckpoint.open(note, LOG.verifier()))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessageStartingWith(
            "note signed by " + LOG.keyId() + " is not a checkpoint: checkpoint")
        .hasMessageContaining("has 1 line (expected at least 3")
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.MALFORMED_CHECKPOINT);
  }

  @Test
  void refusesACheckpointOfAnotherLogSignedByTheSameKey() {
    // A key can sign any text; the verifier insists on the origin it expects.
    String note = LOG.sign(new Checkpoint("other.example/log", 1, ROOT).body());

    assertThatThrownBy(() -> SignedCheckpoint.open(note, LOG.verifier()))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessageContaining("has origin \"other.example/log\" (expected \"jitgw.example/audit\")")
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.WRONG_ORIGIN);
  }

  @Test
  void refusesATamperedCheckpoint() {
    String note = SignedCheckpoint.sign(new Checkpoint(ORIGIN, 1000, ROOT), LOG);
    String rolledBack = note.replace("\n1000\n", "\n999\n");

    assertThatThrownBy(() -> SignedCheckpoint.open(rolledBack, LOG.verifier()))
        .isInstanceOf(NoteVerificationException.class)
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.BAD_SIGNATURE);
  }

  @Test
  void refusesACheckpointSignedByAnotherKeyOfTheSameName() {
    NoteSigner impostor = NoteSigner.generate(ORIGIN);
    String note = SignedCheckpoint.sign(new Checkpoint(ORIGIN, 1, ROOT), impostor);

    assertThatThrownBy(() -> SignedCheckpoint.open(note, LOG.verifier()))
        .isInstanceOf(NoteVerificationException.class)
        .hasMessageContaining("note has no signature by " + LOG.keyId())
        .extracting(e -> ((NoteVerificationException) e).reason())
        .isEqualTo(Reason.UNKNOWN_KEY);
  }
}
