//! A synthetic Go-like service: a pool of functions, locations and stacks
//! with shared prefixes, and CPU profiles drawn from it the way an SDK
//! sends them (each profile with its own string, function and location
//! tables, ids in first-seen order, identical stacks aggregated).

use kiln_model::{Function, Line, Location, Mapping, Profile, Sample, StrId, ValueType};

use super::rng::Rng;

/// Sizes of a service's symbol and stack pools.
pub struct Shape {
    pub functions: usize,
    pub locations: usize,
    pub stacks: usize,
}

/// A symbol pool and a pool of stacks (root first) over it.
pub struct Service {
    /// Function names and their file names.
    functions: Vec<(String, String)>,
    /// Per location: address and the functions it covers, innermost first.
    locations: Vec<(u64, Vec<usize>)>,
    stacks: Vec<Vec<usize>>,
}

const CPU_PERIOD: i64 = 10_000_000;

impl Service {
    pub fn new(rng: &mut Rng, shape: &Shape) -> Service {
        let functions = (0..shape.functions)
            .map(|i| {
                let pkg = i % 97;
                let name = format!("github.com/acme/svc/internal/pkg{pkg}.(*Handler{}).serveStep{i}", i % 13);
                (name, format!("/src/github.com/acme/svc/internal/pkg{pkg}/file{}.go", i % 7))
            })
            .collect();
        let locations = (0..shape.locations)
            .map(|i| {
                let mut funcs = vec![i % shape.functions];
                if rng.below(10) == 0 {
                    funcs.insert(0, rng.below(shape.functions));
                }
                (0x40_0000 + 0x40 * i as u64, funcs)
            })
            .collect();
        let mut service = Service { functions, locations, stacks: Vec::with_capacity(shape.stacks) };
        for _ in 0..shape.stacks {
            let stack = service.new_stack(rng);
            service.stacks.push(stack);
        }
        service
    }

    /// Depth 10 to 40; most stacks extend a prefix of an earlier one.
    fn new_stack(&self, rng: &mut Rng) -> Vec<usize> {
        let depth = rng.range(10, 40);
        let mut stack = match self.stacks.len() {
            0..=7 => vec![rng.below(8)],
            n => {
                let parent = &self.stacks[rng.below(n)];
                parent[..rng.range(1, parent.len() - 1).min(depth - 1)].to_vec()
            }
        };
        while stack.len() < depth {
            stack.push(rng.below(self.locations.len()));
        }
        stack
    }

    /// A CPU profile of `samples` distinct stacks of the pool (all of them
    /// when `samples` is at least the pool's size), with `samples/count` and
    /// `cpu/nanoseconds` values.
    pub fn profile(&self, rng: &mut Rng, samples: usize) -> Profile {
        let n = self.stacks.len();
        let mut tables = Tables::new(self);
        let mut chosen = vec![false; n];
        let mut picked = Vec::with_capacity(samples);
        let mut attempts = samples * 8;
        while picked.len() < samples.min(n) && attempts > 0 {
            attempts -= 1;
            let i = rng.skewed(n);
            if !std::mem::replace(&mut chosen[i], true) {
                picked.push(i);
            }
        }
        let missing = samples.saturating_sub(picked.len());
        picked.extend((0..n).filter(|&i| !chosen[i]).take(missing));
        for i in picked {
            let locations = self.stacks[i].iter().rev().map(|&l| tables.location(self, l)).collect();
            let count = 1 + rng.skewed(50) as i64;
            tables.profile.samples.push(Sample { locations, values: vec![count, count * CPU_PERIOD], labels: vec![] });
        }
        tables.profile
    }
}

/// One profile's own tables, filled in first-seen order.
struct Tables {
    profile: Profile,
    strings: std::collections::HashMap<String, StrId>,
    functions: Vec<Option<u32>>,
    locations: Vec<Option<u64>>,
}

impl Tables {
    fn new(service: &Service) -> Tables {
        let mut t = Tables {
            profile: Profile::default(),
            strings: Default::default(),
            functions: vec![None; service.functions.len()],
            locations: vec![None; service.locations.len()],
        };
        t.strings.insert(String::new(), 0);
        let vt = |t: &mut Tables, ty: &str, unit: &str| ValueType { ty: t.string(ty), unit: t.string(unit) };
        t.profile.sample_types = vec![vt(&mut t, "samples", "count"), vt(&mut t, "cpu", "nanoseconds")];
        t.profile.period_type = vt(&mut t, "cpu", "nanoseconds");
        t.profile.period = CPU_PERIOD;
        t.profile.time_nanos = 1_700_000_000_000_000_000;
        t.profile.duration_nanos = 10_000_000_000;
        let (filename, build_id) = (t.string("/usr/local/bin/svc"), t.string("4f2a9c1e"));
        t.profile.mappings.push(Mapping {
            memory_start: 0x40_0000,
            memory_limit: 0x200_0000,
            filename,
            build_id,
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            ..Mapping::default()
        });
        t
    }

    fn string(&mut self, s: &str) -> StrId {
        let next = self.profile.strings.len() as StrId;
        let id = *self.strings.entry(s.to_owned()).or_insert(next);
        if id == next {
            self.profile.strings.push(s.to_owned());
        }
        id
    }

    fn function(&mut self, service: &Service, f: usize) -> u32 {
        if let Some(id) = self.functions[f] {
            return id;
        }
        let (name, file) = &service.functions[f];
        let (name, filename) = (self.string(name), self.string(file));
        let id = self.profile.functions.len() as u32;
        self.profile.functions.push(Function { name, system_name: name, filename, start_line: 10 + f as i64 % 300 });
        self.functions[f] = Some(id);
        id
    }

    fn location(&mut self, service: &Service, l: usize) -> u64 {
        if let Some(id) = self.locations[l] {
            return id;
        }
        let (address, funcs) = &service.locations[l];
        let lines = funcs
            .iter()
            .map(|&f| Line { function: self.function(service, f), line: 20 + (l as i64 * 7) % 500, column: 0 })
            .collect();
        let id = self.profile.locations.len() as u64;
        self.profile.locations.push(Location { mapping: Some(0), address: *address, lines, is_folded: false });
        self.locations[l] = Some(id);
        id
    }
}
