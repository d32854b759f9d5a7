package dev.livemigration.core.dataplane;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;

/** Frees direct buffers at once through {@code sun.misc.Unsafe}, when the JDK allows it. */
final class DirectBuffers {
  private static final @Nullable Object UNSAFE;
  private static final @Nullable Method INVOKE_CLEANER;

  static {
    Object unsafe = null;
    Method invoke = null;
    try {
      Class<?> type = Class.forName("sun.misc.Unsafe");
      Field field = type.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      unsafe = field.get(null);
      invoke = type.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      unsafe = null;
      invoke = null;
    }
    UNSAFE = unsafe;
    INVOKE_CLEANER = invoke;
  }

  private DirectBuffers() {}

  /** Frees {@code buffer}'s memory now, or leaves it to the garbage collector. */
  static void free(ByteBuffer buffer) {
    if (UNSAFE == null || INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invoke(UNSAFE, buffer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Left to the garbage collector.
    }
  }
}
