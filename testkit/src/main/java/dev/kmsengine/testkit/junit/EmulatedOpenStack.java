package dev.kmsengine.testkit.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against an {@link dev.kmsengine.testkit.emulator.OpenStackEmulator} started by
 * {@link OpenStackEmulatorExtension}: one for the class, or a fresh one for each test with {@link #perTest()}.
 * On a test method, that test gets its own emulator with these settings.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(OpenStackEmulatorExtension.class)
public @interface EmulatedOpenStack {
  /**
   * Whether every test gets a fresh emulator instead of sharing the class's.
   *
   * @return {@code true} for one emulator per test; {@code false} (the default) for one per class
   */
  boolean perTest() default false;

  /**
   * The lifetime of issued tokens.
   *
   * @return seconds; Keystone's default, 3600, if unset
   */
  long tokenLifetimeSeconds() default 3600;

  /**
   * The roles of the injected application credential. Barbican's policy reads {@code observer} (read),
   * {@code creator} (read and store) and {@code admin}; {@code {"member"}} makes a credential it answers with 403.
   *
   * @return role names; {@code creator} if unset
   */
  String[] roles() default {"creator"};

  /**
   * Barbican's token cache time: how long a revoked token keeps working there.
   *
   * @return seconds; 0 (revocation acts at once) if unset
   */
  long tokenCacheSeconds() default 0;
}
