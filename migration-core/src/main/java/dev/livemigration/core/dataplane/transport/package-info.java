/**
 * The data plane's transports: plain {@link dev.livemigration.core.dataplane.transport.TcpTransport
 * tcp}, mutually authenticated {@link dev.livemigration.core.dataplane.transport.TlsTransport tls}
 * and in-process {@link dev.livemigration.core.dataplane.transport.MemTransport mem}, found through
 * {@link dev.livemigration.core.dataplane.transport.Transports}.
 */
@NullMarked
package dev.livemigration.core.dataplane.transport;

import org.jspecify.annotations.NullMarked;
