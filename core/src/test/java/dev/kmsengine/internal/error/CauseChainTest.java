package dev.kmsengine.internal.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class CauseChainTest {
  @Test
  void chain_namesEveryCauseWithItsMessage_outermostFirst_onOneLine() {
    Exception e = new IllegalStateException("commit failed\nat /data/cluster.mv",
        new RuntimeException(new IOException("No space left on device")));
    assertEquals("IllegalStateException: commit failed at /data/cluster.mv <- RuntimeException:"
        + " java.io.IOException: No space left on device <- IOException: No space left on device", CauseChain.of(e));
  }

  @Test
  void chain_withACycle_endsInsteadOfLooping() {
    Exception a = new Exception("a");
    Exception b = new Exception("b", a);
    a.initCause(b);
    assertEquals("Exception: a <- Exception: b", CauseChain.of(a));
  }
}
