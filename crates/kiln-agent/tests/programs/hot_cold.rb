# Burns CPU for ARGV[0] seconds (of its own CPU time): 80% in `hot`, 20% in
# `cold`, in twenty alternating rounds called from `work`.

def cpu_now
  Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
end

def hot(seconds)
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

def cold(seconds)
  stop = cpu_now + seconds
  n = 0
  while cpu_now < stop
    i = 0
    while i < 2_000
      n = (n + i * 3) % 1_000_003
      i += 1
    end
  end
  n
end

def work(total)
  20.times do
    hot(total * 0.04)
    cold(total * 0.01)
  end
end

work(Float(ARGV.fetch(0, "2")))
