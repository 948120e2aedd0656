package dev.sandpod.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The instructions of a Dockerfile, continuation lines joined and comments dropped: enough to check its rules. */
record Dockerfile(List<Instruction> instructions) {
    static final Path PATH = Path.of("Dockerfile");

    /** One instruction, like FROM with "maven:3.9.16-eclipse-temurin-25-noble AS build". */
    record Instruction(String keyword, String arguments) {
    }

    Dockerfile {
        instructions = List.copyOf(instructions);
    }

    static Dockerfile read() {
        try {
            return parse(Files.readAllLines(PATH));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + PATH, e);
        }
    }

    static Dockerfile parse(List<String> lines) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : lines) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue;
            }
            boolean continued = text.endsWith("\\");
            current.append(continued ? text.substring(0, text.length() - 1) : text).append(' ');
            if (!continued) {
                String instruction = current.toString().strip();
                int space = instruction.indexOf(' ');
                instructions.add(new Instruction(instruction.substring(0, space).toUpperCase(Locale.ROOT),
                                                 instruction.substring(space + 1).strip()));
                current.setLength(0);
            }
        }
        return new Dockerfile(instructions);
    }

    List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The instructions of the last stage, from its FROM on: what the shipped image is made of. */
    List<Instruction> finalStage() {
        int from = instructions.lastIndexOf(all("FROM").getLast());
        return instructions.subList(from, instructions.size());
    }
}
