/**
 * A {@link dev.livemigration.api.spi.MigrationStore} on PostgreSQL through {@code java.sql}: {@link
 * dev.livemigration.jdbc.JdbcMigrationStore}. The application brings the JDBC driver and a {@link
 * javax.sql.DataSource}; the store creates and versions its own tables.
 */
@NullMarked
package dev.livemigration.jdbc;

import org.jspecify.annotations.NullMarked;
