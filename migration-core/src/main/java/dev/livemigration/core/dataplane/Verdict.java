package dev.livemigration.core.dataplane;

/**
 * What a target agent says about a migration when its source, having lost the link at or after the
 * go-ahead, asks where the guest runs. Every answer except {@link Kind#UNKNOWN} is final: the agent
 * settles the migration before it answers (a migration that had not started yet is failed then, so
 * that it can never start later).
 *
 * @param kind where the guest is
 * @param lostPages in {@link Kind#PAGES_LOST}, how many pages the target never received
 * @param pageCount the migration's page count (0 when unknown)
 * @param reason the agent's words, printable
 */
record Verdict(Kind kind, long lostPages, long pageCount, String reason) {
  /** Where the guest is, as the target agent knows it. */
  enum Kind {
    /** The agent does not know the migration (or the token did not match): no proof either way. */
    UNKNOWN(0),
    /** The guest runs on the target with every page: the migration succeeded. */
    RUNNING(1),
    /** The guest did not start on the target and never will: the source may resume it. */
    NOT_STARTED(2),
    /** The guest started on the target in post-copy, which then lost {@code lostPages} pages. */
    PAGES_LOST(3);

    final byte code;

    Kind(int code) {
      this.code = (byte) code;
    }

    static Kind of(byte code) throws ProtocolException {
      for (Kind kind : values()) {
        if (kind.code == code) {
          return kind;
        }
      }
      throw new ProtocolException("corrupt outcome answer: unknown verdict " + code);
    }
  }

  static Verdict unknown(String reason) {
    return new Verdict(Kind.UNKNOWN, 0, 0, reason);
  }
}
