package dev.sandpod.kube;

import java.util.Map;

/**
 * Kubernetes' expansion of env values, command and args: {@code $(NAME)} becomes a defined variable's value, {@code $$}
 * becomes {@code $}, anything else stays. A port of {@code third_party/forked/golang/expansion/expand.go}, so that the
 * emulator hands the process exactly what a kubelet would.
 */
final class KubeExpansion {
    private KubeExpansion() {
    }

    static String expand(String input, Map<String, String> defined) {
        StringBuilder out = new StringBuilder(input.length());
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.length(); cursor++) {
            if (input.charAt(cursor) != '$' || cursor + 1 == input.length()) {
                continue;
            }
            out.append(input, checkpoint, cursor);
            char next = input.charAt(cursor + 1);
            int advance = 1;
            if (next == '$') {
                out.append('$');
            } else if (next == '(') {
                int close = input.indexOf(')', cursor + 2);
                if (close < 0) {
                    out.append("$(");
                } else {
                    String name = input.substring(cursor + 2, close);
                    out.append(defined.getOrDefault(name, "$(" + name + ")"));
                    advance = close - cursor;
                }
            } else {
                out.append('$').append(next);
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        return out.append(input, checkpoint, input.length()).toString();
    }
}
