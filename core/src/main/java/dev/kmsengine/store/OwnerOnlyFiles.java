package dev.kmsengine.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Modes of the files and directories of a data directory: 0600 and 0700 whatever the process's umask (a umask of
 * 022 would make them readable by every user), where the file system has POSIX permissions at all.
 */
final class OwnerOnlyFiles {
  /** Mode 0600. */
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  /** Mode 0700. */
  static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");

  private OwnerOnlyFiles() {}

  /**
   * The attributes that create a file or directory with {@code mode} from the start; none where the file system
   * of {@code existingDir} (where it is created) has no POSIX permissions.
   */
  static FileAttribute<?>[] createAttributes(Path existingDir, Set<PosixFilePermission> mode) throws IOException {
    boolean posix = Files.getFileStore(existingDir).supportsFileAttributeView("posix");
    return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
  }

  /**
   * Sets {@code mode} on {@code path} where the file system has POSIX permissions. The umask applies at creation
   * only, so this narrows what a library (MVStore) created with the process's default mode, and what an older
   * engine left.
   */
  static void restrict(Path path, Set<PosixFilePermission> mode) throws IOException {
    if (Files.getFileStore(path).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(path, mode);
    }
  }

  /** Creates {@code dir} and any missing parents with mode 0700; an existing directory keeps its mode. */
  static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path existing = dir;
    while (existing.getParent() != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    Files.createDirectories(dir, createAttributes(existing, DIRECTORY));
  }
}
