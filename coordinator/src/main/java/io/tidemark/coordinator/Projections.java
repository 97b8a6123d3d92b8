package io.tidemark.coordinator;

import io.tidemark.coordinator.TidemarkConfig.ProjectionSpec;
import io.tidemark.protocol.Projection;
import java.lang.reflect.InvocationTargetException;

/** Builds the projection a configuration names. */
public final class Projections {

  private Projections() {}

  /** The projection {@code spec} names: every column, renamed fields, or a class. */
  public static Projection of(ProjectionSpec spec) {
    if (spec.className() != null) {
      return instantiate(spec.className());
    }
    return spec.fields().isEmpty() ? Projection.identity() : Projection.fields(spec.fields());
  }

  private static Projection instantiate(String className) {
    try {
      Class<?> type = Class.forName(className);
      if (!Projection.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException(
            "projection class " + className + " does not implement " + Projection.class.getName());
      }
      return (Projection) type.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "projection class " + className + " is not on the class path", e);
    } catch (NoSuchMethodException
        | InstantiationException
        | IllegalAccessException
        | InvocationTargetException e) {
      throw new IllegalArgumentException(
          "projection class " + className + " needs a public no-argument constructor", e);
    }
  }
}
