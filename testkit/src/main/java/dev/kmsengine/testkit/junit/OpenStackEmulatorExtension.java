package dev.kmsengine.testkit.junit;

import dev.kmsengine.testkit.emulator.OpenStackEmulator;
import dev.kmsengine.testkit.emulator.OpenStackEmulator.ApplicationCredential;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts an {@link OpenStackEmulator} for a JUnit 5 test class (or for each test, see
 * {@link EmulatedOpenStack#perTest()}), with one application credential on its default project (role
 * {@code creator}, or {@link EmulatedOpenStack#roles()}), and stops it when the class (or test) is done.
 *
 * <p>Both are injected as parameters of test, lifecycle and constructor methods, and into fields of type
 * {@link OpenStackEmulator} and {@link ApplicationCredential} (static fields for the class's emulator). The emulator
 * gives its URLs ({@code keystoneUrl()}, {@code barbicanUrl()}), CA ({@code caCertificatePem()}), secrets, further
 * projects and credentials, faults and request counters. Register it with {@link EmulatedOpenStack} or
 * {@code @ExtendWith(OpenStackEmulatorExtension.class)}.
 *
 * <p>Stateless; the running emulators live in JUnit's extension store, so parallel test classes each get their own.
 */
public final class OpenStackEmulatorExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(
      OpenStackEmulatorExtension.class);
  private static final String KEY = "emulator";

  /** Creates the extension; JUnit does this for {@link EmulatedOpenStack}. */
  public OpenStackEmulatorExtension() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    Optional<EmulatedOpenStack> config = annotation(context.getRequiredTestClass());
    if (config.map(EmulatedOpenStack::perTest).orElse(false)) {
      return;
    }
    Running r = start(context, config.orElse(null));
    inject(context.getRequiredTestClass(), null, r, true);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    Optional<EmulatedOpenStack> onMethod = annotation(context.getRequiredTestMethod());
    boolean perTest = onMethod.isPresent()
        || annotation(context.getRequiredTestClass()).map(EmulatedOpenStack::perTest).orElse(false);
    Running r = perTest ? start(context, onMethod.or(() -> annotation(context.getRequiredTestClass())).orElse(null))
        : running(context);
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      inject(instance.getClass(), instance, r, false);
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == OpenStackEmulator.class || type == ApplicationCredential.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Running r = running(context);
    return parameter.getParameter().getType() == OpenStackEmulator.class ? r.emulator() : r.credential();
  }

  private static Optional<EmulatedOpenStack> annotation(AnnotatedElement e) {
    for (AnnotatedElement at = e; at != null; at = at instanceof Class<?> c ? c.getEnclosingClass() : null) {
      EmulatedOpenStack a = at.getAnnotation(EmulatedOpenStack.class);
      if (a != null) {
        return Optional.of(a);
      }
      if (!(at instanceof Class<?>)) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static Running start(ExtensionContext context, EmulatedOpenStack config) {
    OpenStackEmulator.Builder b = OpenStackEmulator.builder();
    if (config != null) {
      b.tokenLifetime(Duration.ofSeconds(config.tokenLifetimeSeconds()))
          .tokenCacheTime(Duration.ofSeconds(config.tokenCacheSeconds()));
    }
    try {
      OpenStackEmulator os = b.start();
      Running r = new Running(os, config == null ? os.createApplicationCredential()
          : os.createApplicationCredential(os.defaultProject(), List.of(config.roles())));
      context.getStore(NS).put(KEY, r);
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start the OpenStack emulator", e);
    }
  }

  private static Running running(ExtensionContext context) {
    Running r = context.getStore(NS).get(KEY, Running.class);
    if (r == null) {
      throw new ExtensionConfigurationException("no OpenStack emulator is running for " + context.getDisplayName()
          + " (a per-test emulator is not available to @BeforeAll or static fields)");
    }
    return r;
  }

  private static void inject(Class<?> type, Object instance, Running r, boolean statics) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        boolean isStatic = Modifier.isStatic(f.getModifiers());
        if (isStatic != statics || Modifier.isFinal(f.getModifiers())) {
          continue;
        }
        Object value = f.getType() == OpenStackEmulator.class ? r.emulator()
            : f.getType() == ApplicationCredential.class ? r.credential() : null;
        if (value != null) {
          try {
            f.setAccessible(true);
            f.set(instance, value);
          } catch (IllegalAccessException | RuntimeException e) {
            throw new ExtensionConfigurationException("cannot inject the OpenStack emulator into " + f, e);
          }
        }
      }
    }
  }

  /** A running emulator and its first credential; JUnit closes it with the store that holds it. */
  private record Running(OpenStackEmulator emulator, ApplicationCredential credential) implements AutoCloseable {
    @Override
    public void close() {
      emulator.close();
    }
  }
}
