# A worker Thread and the main thread take turns burning CPU for ARGV[0]
# seconds of wall time (the interpreter lock lets one run at a time).

def spin_until(deadline)
  n = 0
  while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
    n = (n + 7) % 1_000_003
  end
  n
end

def worker_loop(deadline)
  spin_until(deadline)
end

def main_loop(deadline)
  spin_until(deadline)
end

deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + Float(ARGV.fetch(0, "1"))
worker = Thread.new { worker_loop(deadline) }
main_loop(deadline)
worker.join
