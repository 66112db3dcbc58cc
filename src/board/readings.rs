//! What a sensor or an analog input gives each time it is read: one value, or a sequence
//! taken in turn whose last value then repeats (a board file's `temperature = [20.5, 21, 22]`).

/// The readings of one sensor quantity or analog input.
///
/// ```
/// use pymqtt::board::readings::Readings;
///
/// let mut temperature = Readings::sequence(vec![20.5, 21.0]);
/// assert_eq!([temperature.take(), temperature.take(), temperature.take()], [20.5, 21.0, 21.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Readings {
    values: Vec<f64>,
    next: usize,
}

impl Readings {
    /// One value, read every time.
    ///
    /// ```
    /// use pymqtt::board::readings::Readings;
    ///
    /// let mut level = Readings::constant(3.3);
    /// assert_eq!((level.take(), level.take()), (3.3, 3.3));
    /// ```
    pub fn constant(value: f64) -> Readings {
        Readings::sequence(vec![value])
    }

    /// `values` must not be empty (a board file's empty list is refused when it is read).
    ///
    /// ```
    /// use pymqtt::board::readings::Readings;
    ///
    /// let mut r = Readings::sequence(vec![1.0, 2.0]);
    /// assert_eq!(r.take(), 1.0);
    /// ```
    pub fn sequence(values: Vec<f64>) -> Readings {
        debug_assert!(!values.is_empty());
        Readings { values, next: 0 }
    }

    /// What the next read gives, without reading (for a watcher).
    ///
    /// ```
    /// use pymqtt::board::readings::Readings;
    ///
    /// let r = Readings::sequence(vec![1.0, 2.0]);
    /// assert_eq!((r.peek(), r.peek()), (1.0, 1.0)); // looking does not read
    /// ```
    pub fn peek(&self) -> f64 {
        self.values[self.next.min(self.values.len() - 1)]
    }

    /// The value of this read.
    ///
    /// ```
    /// use pymqtt::board::readings::Readings;
    ///
    /// let mut r = Readings::sequence(vec![1.0, 2.0]);
    /// r.take();
    /// assert_eq!(r.take(), 2.0);
    /// ```
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
