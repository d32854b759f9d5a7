package dev.livemigration.api;

/** The status of a Kubernetes-style condition. */
public enum ConditionStatus {
  /** The condition holds. */
  TRUE,
  /** The condition does not hold; the condition's reason says why. */
  FALSE,
  /** It is not known whether the condition holds. */
  UNKNOWN
}
