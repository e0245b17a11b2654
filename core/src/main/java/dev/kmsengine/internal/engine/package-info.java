/**
 * The engine's operations behind {@link dev.kmsengine.KmsEngine}, one type per operation over one shared
 * {@code EngineState}. Not exported by the core module; the public classes here are public only for the other
 * internal packages, this module's tests and the benchmarks on the class path, and are not API.
 */
package dev.kmsengine.internal.engine;
