package dev.livemigration.libvirt;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the test guest from {@code guest/dirty.S} with gcc, once per run, into {@code
 * target/guest}: {@link #dirtying()} rewrites 64 MiB forever, {@link #filledIdle()} fills it once
 * and halts. See the source for what the guest does.
 */
final class GuestKernels {
  private static Path dirtying;
  private static Path filledIdle;

  private GuestKernels() {}

  /** The kernel that rewrites its 64 MiB working set forever. */
  static synchronized Path dirtying() {
    if (dirtying == null) {
      dirtying = build("dirty.elf", List.of());
    }
    return dirtying;
  }

  /** The kernel that fills its 64 MiB working set once, then halts. */
  static synchronized Path filledIdle() {
    if (filledIdle == null) {
      filledIdle = build("filled-idle.elf", List.of("-DFILL_ONCE"));
    }
    return filledIdle;
  }

  private static Path build(String name, List<String> defines) {
    if (LibvirtDaemons.which("gcc").isEmpty()) {
      LibvirtDaemons.skipOrFail("test guest not built: gcc is not installed (package gcc)");
    }
    try {
      Path dir = Files.createDirectories(LibvirtDaemons.buildDir().resolve("guest"));
      Path source = dir.resolve("dirty.S");
      try (InputStream in = GuestKernels.class.getResourceAsStream("/guest/dirty.S")) {
        if (in == null) {
          throw new IllegalStateException("test resource guest/dirty.S is missing");
        }
        Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
      }
      Path output = dir.resolve(name);
      List<String> command =
          new ArrayList<>(
              List.of(
                  "gcc",
                  "-m32",
                  "-nostdlib",
                  "-ffreestanding",
                  "-static",
                  "-Wl,--build-id=none",
                  "-Wl,-N",
                  "-Wl,--no-warn-rwx-segments",
                  "-Wl,-Ttext=0x100000",
                  "-Wl,-e,_start"));
      command.addAll(defines);
      command.addAll(List.of("-o", output.toString(), source.toString()));
      LibvirtDaemons.run(Duration.ofSeconds(60), command);
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
