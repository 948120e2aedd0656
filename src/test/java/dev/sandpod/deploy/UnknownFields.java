package dev.sandpod.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Finds the fields that fabric8's typed model didn't know: Jackson puts them in the
 * additionalProperties map of the object where they appeared (a misspelt key, a key at the wrong
 * level, a value of the wrong type). Walks every nested model object, list and map.
 */
final class UnknownFields {
    private UnknownFields() {
    }

    /** The paths of the unknown fields, like "spec.template.spec.containers[0].securityContext.runAsNonroot". */
    static List<String> in(Object model) {
        List<String> found = new ArrayList<>();
        walk(model, "", found);
        return found;
    }

    private static void walk(Object value, String path, List<String> found) {
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                walk(item, path + "[" + i++ + "]", found);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> walk(item, path + "." + key, found));
        } else if (value != null && value.getClass().getName().startsWith("io.fabric8.")) {
            for (Class<?> type = value.getClass(); type != Object.class; type = type.getSuperclass()) {
                for (Field field : type.getDeclaredFields()) {
                    if (!Modifier.isStatic(field.getModifiers())) {
                        visit(value, field, path, found);
                    }
                }
            }
        }
    }

    private static void visit(Object owner, Field field, String path, List<String> found) {
        Object value = read(owner, field);
        String here = path.isEmpty() ? field.getName() : path + "." + field.getName();
        if (field.getName().equals("additionalProperties") && value instanceof Map<?, ?> extra) {
            extra.keySet().forEach(key -> found.add((path.isEmpty() ? "" : path + ".") + key));
        } else {
            walk(value, here, found);
        }
    }

    private static Object read(Object owner, Field field) {
        try {
            field.setAccessible(true);
            return field.get(owner);
        } catch (IllegalAccessException e) {
            throw new AssertionError("cannot read " + field, e);
        }
    }
}
