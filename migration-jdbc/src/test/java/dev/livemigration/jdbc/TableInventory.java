package dev.livemigration.jdbc;

import dev.livemigration.api.AccessMode;
import dev.livemigration.api.InterfaceBinding;
import dev.livemigration.api.NetworkInterface;
import dev.livemigration.api.Node;
import dev.livemigration.api.Quantity;
import dev.livemigration.api.VirtualMachineInstance;
import dev.livemigration.api.Volume;
import dev.livemigration.api.VolumeType;
import dev.livemigration.api.spi.ClusterInventory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * One cluster inventory for every engine replica, kept in two tables of the test's PostgreSQL
 * ({@code <prefix>inv_nodes}, {@code <prefix>inv_vmis}): each replica reads where a VMI really is,
 * and {@link #onMigrated} moves it for all of them. Every VMI has a ReadWriteMany PVC and a
 * masquerade pod interface, so it is live-migratable. One connection, used under this object's
 * lock.
 */
final class TableInventory implements ClusterInventory, AutoCloseable {
  private final Connection connection;
  private final String nodes;
  private final String vmis;
  private final List<Node> nodeList;

  TableInventory(DataSource dataSource, String prefix) throws SQLException {
    this.connection = dataSource.getConnection();
    this.nodes = prefix + "inv_nodes";
    this.vmis = prefix + "inv_vmis";
    List<Node> read = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT name, address FROM " + nodes + " ORDER BY name")) {
      while (rs.next()) {
        read.add(Node.builder().name(rs.getString(1)).address(rs.getString(2)).build());
      }
    }
    this.nodeList = List.copyOf(read);
  }

  /**
   * Creates the tables and fills them: nodes {@code node-0} … and VMIs (name to node and memory in
   * MiB), in the {@code default} namespace.
   */
  static void create(
      DataSource dataSource, String prefix, int nodeCount, Map<String, Placement> placements)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE " + prefix + "inv_nodes (name text PRIMARY KEY, address text NOT NULL)");
      s.execute(
          "CREATE TABLE "
              + prefix
              + "inv_vmis (namespace text NOT NULL, name text NOT NULL, node text NOT NULL,"
              + " memory_mib integer NOT NULL, PRIMARY KEY (namespace, name))");
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO " + prefix + "inv_nodes VALUES (?, ?)")) {
        for (int i = 0; i < nodeCount; i++) {
          insert.setString(1, "node-" + i);
          insert.setString(2, "10.0.0." + (i + 1));
          insert.executeUpdate();
        }
      }
      try (PreparedStatement insert =
          c.prepareStatement("INSERT INTO " + prefix + "inv_vmis VALUES ('default', ?, ?, ?)")) {
        for (Map.Entry<String, Placement> vmi : placements.entrySet()) {
          insert.setString(1, vmi.getKey());
          insert.setString(2, vmi.getValue().node());
          insert.setInt(3, vmi.getValue().memoryMib());
          insert.executeUpdate();
        }
      }
    }
  }

  /** Where each VMI runs now, by name, as the table has it. */
  static Map<String, String> nodesOfVmis(DataSource dataSource, String prefix) throws SQLException {
    Map<String, String> where = new LinkedHashMap<>();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT name, node FROM " + prefix + "inv_vmis ORDER BY name")) {
      while (rs.next()) {
        where.put(rs.getString(1), rs.getString(2));
      }
    }
    return where;
  }

  /** A VMI's node and memory. */
  record Placement(String node, int memoryMib) {}

  @Override
  public List<Node> nodes() {
    return nodeList;
  }

  @Override
  public synchronized List<VirtualMachineInstance> virtualMachineInstances() {
    return query("SELECT namespace, name, node, memory_mib FROM " + vmis + " ORDER BY name");
  }

  @Override
  public synchronized Optional<VirtualMachineInstance> find(String namespace, String name) {
    try (PreparedStatement s =
        connection.prepareStatement(
            "SELECT namespace, name, node, memory_mib FROM "
                + vmis
                + " WHERE namespace = ? AND name = ?")) {
      s.setString(1, namespace);
      s.setString(2, name);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(vmi(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  @Override
  public synchronized Map<String, Integer> vmiCountsByNode() {
    Map<String, Integer> counts = new HashMap<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT node, count(*) FROM " + vmis + " GROUP BY node")) {
      while (rs.next()) {
        counts.put(rs.getString(1), rs.getInt(2));
      }
    } catch (SQLException e) {
      throw failure(e);
    }
    return counts;
  }

  @Override
  public synchronized void onMigrated(VirtualMachineInstance vmi, String targetNode) {
    try (PreparedStatement s =
        connection.prepareStatement(
            "UPDATE " + vmis + " SET node = ? WHERE namespace = ? AND name = ?")) {
      s.setString(1, targetNode);
      s.setString(2, vmi.namespace());
      s.setString(3, vmi.name());
      s.executeUpdate();
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  @Override
  public synchronized void close() throws SQLException {
    connection.close();
  }

  private List<VirtualMachineInstance> query(String sql) {
    List<VirtualMachineInstance> all = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        all.add(vmi(rs));
      }
    } catch (SQLException e) {
      throw failure(e);
    }
    return all;
  }

  private static VirtualMachineInstance vmi(ResultSet rs) throws SQLException {
    return VirtualMachineInstance.builder()
        .namespace(rs.getString(1))
        .name(rs.getString(2))
        .nodeName(rs.getString(3))
        .memory(Quantity.ofMebibytes(rs.getInt(4)))
        .addVolumes(
            Volume.builder()
                .name("rootdisk")
                .type(VolumeType.PERSISTENT_VOLUME_CLAIM)
                .addAccessModes(AccessMode.READ_WRITE_MANY)
                .build())
        .addInterfaces(
            NetworkInterface.builder().name("default").binding(InterfaceBinding.MASQUERADE).build())
        .build();
  }

  private static RuntimeException failure(SQLException e) {
    return new IllegalStateException("inventory table: " + e.getMessage(), e);
  }
}
