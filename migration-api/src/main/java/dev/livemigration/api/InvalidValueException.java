package dev.livemigration.api;

/**
 * Thrown when a value breaks a rule of the model; says which field, which rule and which value, as
 * in {@code parallelMigrationsPerCluster must be >= 1, but was 0}.
 */
public class InvalidValueException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final String rule;
  private final String value;

  /**
   * Creates the exception.
   *
   * @param field the field's name or path, for example {@code bandwidthPerMigration}
   * @param rule the rule that was broken, for example {@code must not be negative}
   * @param value the offending value as text
   */
  public InvalidValueException(String field, String rule, String value) {
    super(field + " " + rule + ", but was " + value);
    this.field = field;
    this.rule = rule;
    this.value = value;
  }

  /** The field's name or path. */
  public String field() {
    return field;
  }

  /** The rule that the value broke, starting with a verb such as "must". */
  public String rule() {
    return rule;
  }

  /** The offending value as text (strings in single quotes). */
  public String value() {
    return value;
  }
}
