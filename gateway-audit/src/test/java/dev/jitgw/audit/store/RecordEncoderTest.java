package dev.jitgw.audit.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The writer's spliced encoding is byte for byte what Jackson writes for the whole record, whether
 * the record was made from a tree or written with a generator.
 */
class RecordEncoderTest {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static byte[] jacksonWhole(
      long seq, byte[] prev, String time, String type, String id, ObjectNode payload)
      throws Exception {
    ObjectNode full = MAPPER.createObjectNode();
    full.put("seq", seq);
    if (prev != null) {
      full.put("prev", HexFormat.of().formatHex(prev));
    }
    full.put("time", time);
    full.put("type", type);
    if (id != null) {
      full.put("exchange_id", id);
    }
    full.setAll(payload.deepCopy());
    return MAPPER.writeValueAsBytes(full);
  }

  @Test
  void splicedBytesEqualJacksonsForRandomRecords() throws Exception {
    Random random = new Random(7);
    String[] alphabet = {"a", "\"", "\\", "\n", "\u0001", "é", "€", "😀", "<", "/", " "};
    for (int i = 0; i < 2_000; i++) {
      ObjectNode payload = AuditRecord.fields();
      // The same fields again, for a record written with a generator.
      List<AuditRecord.FieldWriter> writes = new ArrayList<>();
      int fields = random.nextInt(5);
      for (int f = 0; f < fields; f++) {
        StringBuilder builder = new StringBuilder();
        for (int c = random.nextInt(20); c > 0; c--) {
          builder.append(alphabet[random.nextInt(alphabet.length)]);
        }
        String value = builder.toString();
        String name = "f" + f;
        switch (random.nextInt(4)) {
          case 0 -> {
            payload.put(name, value);
            writes.add(out -> out.writeStringField(name, value));
          }
          case 1 -> {
            long number = random.nextLong();
            payload.put(name, number);
            writes.add(out -> out.writeNumberField(name, number));
          }
          case 2 -> {
            payload.putObject(name).put("k" + value, value);
            writes.add(
                out -> {
                  out.writeObjectFieldStart(name);
                  out.writeStringField("k" + value, value);
                  out.writeEndObject();
                });
          }
          default -> {
            double number = random.nextDouble();
            payload.putArray(name).add(value).add(number);
            writes.add(
                out -> {
                  out.writeArrayFieldStart(name);
                  out.writeString(value);
                  out.writeNumber(number);
                  out.writeEndArray();
                });
          }
        }
      }
      String id = random.nextBoolean() ? null : "ex\"\\" + i;
      byte[] prev = random.nextBoolean() ? null : new byte[32];
      if (prev != null) {
        random.nextBytes(prev);
      }
      long seq = random.nextInt(1 << 20);
      String time = "2026-11-29T11:00:00.123Z";
      AuditRecord record = new AuditRecord("t" + alphabet[i % alphabet.length], id, payload);

      byte[] spliced = RecordEncoder.encode(seq, prev, time, record);
      AuditRecord written =
          AuditRecord.written(
              record.type(),
              id,
              null,
              out -> {
                for (AuditRecord.FieldWriter write : writes) {
                  write.write(out);
                }
              });
      assertThat(RecordEncoder.encode(seq, prev, time, written)).isEqualTo(spliced);

      assertThat(new String(spliced, java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(
              new String(
                  jacksonWhole(seq, prev, time, record.type(), id, payload),
                  java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void laterChangesToThePayloadDoNotReachTheRecord() {
    ObjectNode payload = AuditRecord.fields().put("a", "before");
    AuditRecord record = new AuditRecord("t", "EX", payload);

    payload.put("a", "after").put("b", 1);

    assertThat(new String(RecordEncoder.encode(0, null, "T", record)))
        .isEqualTo(
            "{\"seq\":0,\"time\":\"T\",\"type\":\"t\",\"exchange_id\":\"EX\",\"a\":\"before\"}");
  }

  @Test
  void aRecordWrittenWhileAnotherIsWrittenLeavesBothWhole() {
    // Records are generated in a buffer of their thread: a field writer that writes a record of
    // its own must not write into the one being generated. The first field is larger than the
    // generator's own buffer, so it is in the thread's buffer when the inner record starts.
    String first = "b".repeat(20_000);
    String big = "x".repeat(300_000); // past the size of buffer a thread keeps
    AuditRecord[] inner = new AuditRecord[1];
    AuditRecord outer =
        AuditRecord.written(
            "outer",
            null,
            null,
            out -> {
              out.writeStringField("before", first);
              inner[0] =
                  AuditRecord.written("inner", null, null, in -> in.writeStringField("big", big));
              out.writeStringField("after", "a");
            });
    AuditRecord next =
        AuditRecord.written("next", null, null, out -> out.writeStringField("n", "1"));

    assertThat(new String(RecordEncoder.encode(0, null, "T", outer)))
        .isEqualTo(
            "{\"seq\":0,\"time\":\"T\",\"type\":\"outer\",\"before\":\""
                + first
                + "\",\"after\":\"a\"}");
    assertThat(new String(RecordEncoder.encode(1, null, "T", inner[0])))
        .isEqualTo("{\"seq\":1,\"time\":\"T\",\"type\":\"inner\",\"big\":\"" + big + "\"}");
    assertThat(new String(RecordEncoder.encode(2, null, "T", next)))
        .isEqualTo("{\"seq\":2,\"time\":\"T\",\"type\":\"next\",\"n\":\"1\"}");
  }
}
