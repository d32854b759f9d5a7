/**
 * Service provider interfaces: what a hypervisor backend, a migration strategy, a cluster
 * inventory, a target selector and a policy source implement to plug into the engine. Each is
 * small: an id and two or three abstract methods, with optional hooks as default methods.
 */
@NullMarked
package dev.livemigration.api.spi;

import org.jspecify.annotations.NullMarked;
