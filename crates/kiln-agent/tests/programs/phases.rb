# Spends its first ARGV[0] seconds of CPU time in `early`, right at start-up,
# then as long again in `late`, and exits with code ARGV[1] (default 0): a
# spy that misses the start gives `early` fewer samples than `late`.

def cpu_now
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

def burn(seconds)
  stop = cpu_now + seconds
  n = 0
  while cpu_now < stop
    i = 0
    while i < 2_000
      n = (n + i * i) % 1_000_003
      i += 1
    end
  end
  n
end

def early(seconds)
  burn(seconds)
end

def late(seconds)
  burn(seconds)
end

seconds = Float(ARGV.fetch(0, "0.3"))
early(seconds)
late(seconds)
exit Integer(ARGV.fetch(1, "0"))
