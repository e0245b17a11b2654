package dev.kmsengine.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsengine.KmsEngine;
import dev.kmsengine.cluster.ClusterSpec;
import dev.kmsengine.cluster.SvmInfo;
import dev.kmsengine.kek.InMemoryKeyProvider;
import dev.kmsengine.store.InMemoryClusterDatabase;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterShapeTest {
  private static final ClusterSpec SPEC = ClusterSpec.builder("shape").nodes("n1", "n2").dataSvms("vs1", "vs2")
      .build();

  @Test
  void aShapeReadsBackAsWrittenAndNamesEachDifference() {
    ClusterShape stored = ClusterShape.of(SPEC);
    assertEquals(stored, ClusterShape.decode(stored.encode()));
    assertEquals("", stored.differences(ClusterShape.of(
        ClusterSpec.builder("shape").nodes("n1", "n2").dataSvms("vs2", "vs1").build())), "SVM order is no shape");
    String d = stored.differences(ClusterShape.of(ClusterSpec.builder("other").nodes("n1", "n2", "n3")
        .adminSvm("admin2").dataSvms("vs1").build()));
    assertTrue(d.contains("cluster name \"shape\" stored, \"other\" here"), d);
    assertTrue(d.contains("nodes [n1, n2] stored, [n1, n2, n3] here"), d);
    assertTrue(d.contains("admin SVM"), d);
    assertTrue(d.contains("data SVMs [vs1, vs2] stored, [vs1] here"), d);
  }

  @Test
  void aSingleProcessDatabaseGetsNoShapeRecordAndTheSpecsSvmsStableUuids() {
    List<SvmInfo> first;
    InMemoryClusterDatabase db = new InMemoryClusterDatabase();
    try (KmsEngine e = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).database(db).build()) {
      first = e.cluster().svms();
    }
    assertNull(db.get(ClusterShape.BUCKET, ClusterShape.KEY), "nothing new in a single-process store");
    try (KmsEngine e = KmsEngine.builder(SPEC).keyProvider(new InMemoryKeyProvider()).build()) {
      assertEquals(first, e.cluster().svms(), "the same SVM uuids in another database of the same cluster");
    }
  }
}
