package dev.kmsengine.rest;

import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import java.util.Optional;

/**
 * What the simulator lets a test change beyond ONTAP's API, served under {@code /api/simulator}: each node's path
 * to Keystone and Barbican, and the embedded Keystone/Barbican emulator's faults. The block data path and node
 * up/down go to the engine directly.
 */
public interface SimulatorControls {
  /**
   * Whether {@code node} can reach Keystone and Barbican.
   *
   * @param node the node's name
   * @return {@code true} unless the node is cut off
   */
  boolean connected(String node);

  /**
   * Cuts {@code node} off from Keystone and Barbican ({@code false}) or reconnects it ({@code true}).
   *
   * @param node the node's name
   * @param connected {@code false} to cut the node off, {@code true} to reconnect it
   */
  void connect(String node, boolean connected);

  /**
   * Whether Keystone accepts connections from the cluster; only meaningful with the emulator.
   *
   * @return {@code true} unless Keystone was taken down
   */
  boolean keystoneUp();

  /**
   * Makes Keystone refuse connections from every node ({@code false}) or accept them again.
   *
   * @param up {@code false} to refuse connections, {@code true} to accept them
   */
  void keystoneUp(boolean up);

  /**
   * Whether Barbican accepts connections from the cluster; only meaningful with the emulator.
   *
   * @return {@code true} unless Barbican was taken down
   */
  boolean barbicanUp();

  /**
   * Makes Barbican refuse connections from every node ({@code false}) or accept them again.
   *
   * @param up {@code false} to refuse connections, {@code true} to accept them
   */
  void barbicanUp(boolean up);

  /**
   * The embedded emulator, or empty when the simulator runs without it.
   *
   * @return the emulator serving Keystone and Barbican, if the simulator embeds one
   */
  Optional<OpenStackEmulator> emulator();

  /**
   * Drops every top-level KEK the nodes have cached (tokens stay), so the next operation asks Barbican and meets
   * whatever fault is now in place.
   */
  void forgetCachedKeys();
}
