package dev.sandpod.attacks;

/**
 * The safe outcome of one attack, checked against the service's answer; the host itself is checked after every
 * attack by {@link SandpodUnderAttack}.
 */
@FunctionalInterface
interface Expectation {
    void check(Answer answer);

    default Expectation and(Expectation next) {
        return answer -> {
            check(answer);
            next.check(answer);
        };
    }
}
