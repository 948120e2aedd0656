package dev.sandpod.run;

import java.util.LinkedHashMap;
import java.util.Map;

/** The verdict of one judge-mode case. */
public record TestOutcome(int index, String verdict, Status status, String stdout, String stderr, long timeMs) {
    /** Its fields as JSON names them, in this order: the runner's envelope and the API's answer alike. */
    public Map<String, Object> fields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("index", index);
        fields.put("verdict", verdict);
        fields.put("status", status.wireName());
        fields.put("stdout", stdout);
        fields.put("stderr", stderr);
        fields.put("timeMs", timeMs);
        return fields;
    }
}
