package dev.kmsengine.internal.engine;

import java.util.UUID;

/** An SVM: its name and whether it is the admin SVM. Immutable. */
record SvmRecord(UUID uuid, String name, boolean admin) {
  byte[] encode() {
    return RecordCodec.write(out -> {
      out.writeUTF(name);
      out.writeBoolean(admin);
    });
  }

  static SvmRecord decode(UUID uuid, byte[] b) {
    return RecordCodec.read(b, in -> new SvmRecord(uuid, in.readUTF(), in.readBoolean()));
  }
}
