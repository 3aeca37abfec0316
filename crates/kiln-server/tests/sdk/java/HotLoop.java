// A Java program with a known hot method, recorded by the JDK's Flight
// Recorder (java -XX:StartFlightRecording) for
// crates/kiln-server/tests/sdk_clients.rs.
// Usage: java -XX:StartFlightRecording=... HotLoop.java <seconds>
public class HotLoop {
    static long burnCpuInJava(long untilNanos) {
        long x = 0;
        while (System.nanoTime() < untilNanos) {
            for (int i = 0; i < 100_000; i++) {
                x = x * 6364136223846793005L + i;
            }
        }
        return x;
    }

    public static void main(String[] args) {
        double seconds = Double.parseDouble(args[0]);
        long x = burnCpuInJava(System.nanoTime() + (long) (seconds * 1e9));
        System.out.println("done " + x);
    }
}
