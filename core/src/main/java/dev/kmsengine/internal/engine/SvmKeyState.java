package dev.kmsengine.internal.engine;

import dev.kmsengine.keystore.Keystore.KeystoreState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The key state of one SVM.
 *
 * <p>Immutable; thread-safe.
 *
 * @param enabled the enabled configuration, or null
 * @param state the keystore state of the enabled configuration
 * @param switchTarget the configuration a switch is moving to, or null
 * @param generation the current SVM-KEK generation, 0 before the first encrypted volume
 * @param wrappedKeks the current SVM-KEK wrapped under each configuration's top-level KEK
 */
public record SvmKeyState(UUID svm, UUID enabled, KeystoreState state, UUID switchTarget, long generation,
    Map<UUID, byte[]> wrappedKeks) {

  public SvmKeyState {
    wrappedKeks = Map.copyOf(wrappedKeks);
  }

  static SvmKeyState empty(UUID svm) {
    return new SvmKeyState(svm, null, KeystoreState.INACTIVE, null, 0, Map.of());
  }

  SvmKeyState withState(KeystoreState s) {
    return new SvmKeyState(svm, enabled, s, switchTarget, generation, wrappedKeks);
  }

  byte[] encode() {
    return RecordCodec.write(out -> {
      RecordCodec.writeNullableUuid(out, enabled);
      out.writeByte(state.ordinal());
      RecordCodec.writeNullableUuid(out, switchTarget);
      out.writeLong(generation);
      out.writeInt(wrappedKeks.size());
      for (Map.Entry<UUID, byte[]> e : wrappedKeks.entrySet()) {
        RecordCodec.writeUuid(out, e.getKey());
        out.writeShort(e.getValue().length);
        out.write(e.getValue());
      }
    });
  }

  static SvmKeyState decode(UUID svm, byte[] b) {
    return RecordCodec.read(b, in -> {
      UUID enabled = RecordCodec.readNullableUuid(in);
      KeystoreState state = KeystoreState.values()[in.readByte()];
      UUID target = RecordCodec.readNullableUuid(in);
      long generation = in.readLong();
      int n = in.readInt();
      Map<UUID, byte[]> wrapped = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        UUID k = RecordCodec.readUuid(in);
        byte[] blob = new byte[in.readUnsignedShort()];
        in.readFully(blob);
        wrapped.put(k, blob);
      }
      return new SvmKeyState(svm, enabled, state, target, generation, wrapped);
    });
  }
}
