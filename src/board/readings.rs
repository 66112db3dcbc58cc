//! What a sensor or an analog input gives each time it is read: one value, or a sequence
//! taken in turn whose last value then repeats (a board file's `temperature = [20.5, 21, 22]`).

/// The readings of one sensor quantity or analog input.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    values: Vec<f64>,
    next: usize,
}

impl Readings {
    /// One value, read every time.
    pub fn constant(value: f64) -> Readings {
        Readings::sequence(vec![value])
    }

    /// `values` must not be empty (a board file's empty list is refused when it is read).
    pub fn sequence(values: Vec<f64>) -> Readings {
        debug_assert!(!values.is_empty());
        Readings { values, next: 0 }
    }

    /// What the next read gives, without reading (for a watcher).
    pub fn peek(&self) -> f64 {
        self.values[self.next.min(self.values.len() - 1)]
    }

    /// The value of this read.
    pub fn take(&mut self) -> f64 {
        let value = self.values[self.next.min(self.values.len() - 1)];
        self.next = (self.next + 1).min(self.values.len());
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_is_read_in_turn_and_its_last_value_repeats() {
        let mut r = Readings::sequence(vec![1.0, 2.0]);
        assert_eq!(r.peek(), 1.0);
        assert_eq!([r.take(), r.take(), r.take()], [1.0, 2.0, 2.0]);
        assert_eq!(r.peek(), 2.0);
        assert_eq!(Readings::constant(5.0).take(), 5.0);
    }
}
