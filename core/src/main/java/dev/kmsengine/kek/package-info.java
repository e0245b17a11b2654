/**
 * The service-provider interface through which the engine obtains a configuration's top-level KEK, as seen
 * from one node: {@link dev.kmsengine.kek.TopLevelKeyProvider}. The Barbican connector implements it over HTTPS;
 * {@link dev.kmsengine.kek.InMemoryKeyProvider} implements it in memory for tests.
 */
package dev.kmsengine.kek;
