package dev.jitgw.audit.tree;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link InMemoryNodeStore} and {@link NodeUpdate}. */
class NodeStoreTest {

  private final byte[] hash = MerkleHash.leafHash(new byte[] {42});

  @Test
  void storesByLevelAndIndexAndCopies() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    byte[] written = hash.clone();
    store.put(3, 5, written);
    written[0] ^= 1;

    assertThat(store.get(3, 5)).isEqualTo(hash);
    assertThat(store.get(5, 3)).isNull();
    assertThat(store.get(3, 4)).isNull();
    store.get(3, 5)[1] ^= 1;
    assertThat(store.get(3, 5)).isEqualTo(hash);
  }

  @Test
  void rejectsBadAddressesAndHashes() {
    InMemoryNodeStore store = new InMemoryNodeStore();
    assertThatThrownBy(() -> store.put(63, 0, hash))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("level: 63 (expected: 0..62)");
    assertThatThrownBy(() -> store.get(0, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("index: -1 (expected: 0..9223372036854775807 at level 0)");
    assertThatThrownBy(() -> store.put(62, 2, hash))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("index: 2 (expected: 0..1 at level 62)");
    assertThatThrownBy(() -> store.put(0, 0, new byte[16]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hash.length: 16 (expected: 32)");
  }

  @Test
  void nodeUpdatesCompareByContent() {
    NodeUpdate update = new NodeUpdate(1, 2, hash);

    assertThat(update).isEqualTo(new NodeUpdate(1, 2, hash.clone()));
    assertThat(update).hasSameHashCodeAs(new NodeUpdate(1, 2, hash.clone()));
    assertThat(update).isNotEqualTo(new NodeUpdate(1, 3, hash));
    assertThat(List.of(update)).contains(new NodeUpdate(1, 2, hash.clone()));
    assertThat(update.toString()).contains("level=1", "index=2", TestTrees.hex(hash));
    update.hash()[0] ^= 1;
    assertThat(update.hash()).isEqualTo(hash);
  }
}
