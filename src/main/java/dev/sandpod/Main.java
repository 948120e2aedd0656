package dev.sandpod;

public final class Main {
    public static void main(String[] args) {
    }
}
