// The JVM plugin's class-unloading workload: round after round, a fresh
// class loader defines Alpha or Omega (the same code under two names, in
// turn), runs its run() on a thread named after the class and the round
// until the method is compiled and hot, then the loader is dropped and
// collected, unloading the class and freeing its compiled code. The next
// class' metadata and code may then take the addresses the last one had: a
// profiler that kept names by address would name Omega's code Alpha.
// Prints "ready", waits for a line on stdin, then prints "unloaded <class>
// <round>" per round, then "done".
import java.io.InputStream;
import java.lang.ref.WeakReference;

public class Unload {
  static final class OneClassLoader extends ClassLoader {
    OneClassLoader() {
      super(Unload.class.getClassLoader());
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.equals("Alpha") && !name.equals("Omega")) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> loaded = findLoadedClass(name);
        if (loaded != null) return loaded;
        try (InputStream in = getParent().getResourceAsStream(name + ".class")) {
          byte[] bytes = in.readAllBytes();
          return defineClass(name, bytes, 0, bytes.length);
        } catch (java.io.IOException e) {
          throw new ClassNotFoundException(name, e);
        }
      }
    }
  }

  // Runs name.run(cpuNanos) from a new loader; returns a weak reference to it.
  static WeakReference<ClassLoader> round(String name, int round, long cpuNanos) throws Exception {
    ClassLoader loader = new OneClassLoader();
    Class<?> type = loader.loadClass(name);
    java.lang.reflect.Method run = type.getMethod("run", long.class);
    Thread thread = new Thread(() -> {
      try {
        run.invoke(null, cpuNanos);
      } catch (ReflectiveOperationException e) {
        throw new RuntimeException(e);
      }
    }, name + "-" + round);
    thread.start();
    thread.join();
    return new WeakReference<>(loader);
  }

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[0]);
    long cpuNanos = (long) (Double.parseDouble(args[1]) * 1e9);
    System.out.println("ready");
    System.out.flush();
    // The first round waits for a line on stdin: its class would be
    // unloaded before an agent still attaching (several times slower under
    // sanitizers) reads its samples, and they could not be named then.
    new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine();
    for (int i = 0; i < rounds; i++) {
      String name = i % 2 == 0 ? "Alpha" : "Omega";
      WeakReference<ClassLoader> loader = round(name, i, cpuNanos);
      for (int gc = 0; loader.get() != null; gc++) {
        if (gc == 50) throw new IllegalStateException(name + "'s loader was not collected");
        System.gc();
      }
      System.out.println("unloaded " + name + " " + i);
      System.out.flush();
    }
    System.out.println("done");
  }
}
