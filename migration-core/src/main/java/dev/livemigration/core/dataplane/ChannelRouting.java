package dev.livemigration.core.dataplane;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Where each channel of an {@link OutgoingMigration} connects and which pages it carries: the first
 * {@code options.channels()} channels carry the pages before word {@code splitWord} (64 pages a
 * word) and go to the first address; {@code blockChannels} more carry the pages from {@code
 * splitWord} on (disks, in block migration) and go to the second address.
 */
record ChannelRouting(List<InetSocketAddress> targets, int splitWord, int blockChannels) {
  int[][] partition(int words, int memoryChannels) {
    int total = memoryChannels + blockChannels;
    List<List<Integer>> lists = new ArrayList<>();
    for (int c = 0; c < total; c++) {
      lists.add(new ArrayList<>());
    }
    for (int w = 0; w < words; w++) {
      int channel =
          blockChannels > 0 && splitWord >= 0 && w >= splitWord
              ? memoryChannels + (w - splitWord) % blockChannels
              : w % memoryChannels;
      lists.get(channel).add(w);
    }
    int[][] result = new int[total][];
    for (int c = 0; c < total; c++) {
      result[c] = lists.get(c).stream().mapToInt(Integer::intValue).toArray();
    }
    return result;
  }

  InetSocketAddress targetOf(int channel, int memoryChannels) {
    return channel < memoryChannels || targets.size() < 2 ? targets.get(0) : targets.get(1);
  }
}
