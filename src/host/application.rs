//! What the embedding application gives its scripts: functions under module names of its
//! own ([`HostBuilder::function`](super::HostBuilder::function): `gateway.sensor(name)`) and
//! values in `__main__` ([`HostBuilder::global`](super::HostBuilder::global)). They are made
//! in each program's interpreter as it starts.

use std::sync::Arc;

use rustpython_vm::builtins::PyModuleDef;
use rustpython_vm::function::IntoPyNativeFn;
use rustpython_vm::scope::Scope;
use rustpython_vm::{AsObject, InterpreterBuilder, PyObjectRef, PyResult, VirtualMachine};

/// Makes one of the application's functions in an interpreter.
type FunctionMaker = Arc<dyn Fn(&VirtualMachine) -> PyObjectRef + Send + Sync>;

/// A value the application puts in the script's `__main__`.
///
/// ```
/// use pymqtt::{ExitStatus, GlobalValue, Host, Program};
///
/// let host = Host::builder()
///     .global("SITE", "lab")
///     .global("KEY", b"\x01\x02".to_vec())
///     .global("SPARE", GlobalValue::None)
///     .build();
/// let script = "assert SITE == 'lab' and KEY == b'\\x01\\x02' and SPARE is None";
/// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum GlobalValue {
    /// `None`.
    None,
    /// A `bool`.
    Bool(bool),
    /// An `int`.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `bytes`.
    Bytes(Vec<u8>),
}

macro_rules! global_from {
    ($($t:ty => $variant:ident),*) => {
        $(impl From<$t> for GlobalValue {
            fn from(value: $t) -> GlobalValue {
                GlobalValue::$variant(value.into())
            }
        })*
    };
}

global_from!(bool => Bool, i64 => Int, i32 => Int, u32 => Int, f64 => Float, String => Str,
             &str => Str, Vec<u8> => Bytes);

impl GlobalValue {
    fn to_python(&self, vm: &VirtualMachine) -> PyObjectRef {
        match self {
            GlobalValue::None => vm.ctx.none(),
            GlobalValue::Bool(b) => vm.ctx.new_bool(*b).into(),
            GlobalValue::Int(i) => vm.ctx.new_int(*i).into(),
            GlobalValue::Float(f) => vm.ctx.new_float(*f).into(),
            GlobalValue::Str(s) => vm.ctx.new_str(s.as_str()).into(),
            GlobalValue::Bytes(b) => vm.ctx.new_bytes(b.clone()).into(),
        }
    }
}

/// The module `name` in `sys.modules`, made (with its parents, each an attribute of the one
/// above, as a package's submodules are) if it is not there.
fn module_named(vm: &VirtualMachine, modules: &PyObjectRef, name: &str) -> PyResult<PyObjectRef> {
    if let Ok(existing) = modules.get_item(name, vm) {
        return Ok(existing);
    }
    let created: PyObjectRef = vm.new_module(name, vm.ctx.new_dict(), None).into();
    modules.set_item(name, created.clone(), vm)?;
    if let Some((parent, child)) = name.rsplit_once('.') {
        let parent = module_named(vm, modules, parent)?;
        parent.set_attr(vm.ctx.intern_str(child), created.clone(), vm)?;
    }
    Ok(created)
}

/// A native module of the application's: the `module_def` function RustPython's
/// `#[pymodule]` makes, called with each interpreter's context.
///
/// ```
/// use pymqtt::ModuleDefinition;
///
/// #[rustpython_vm::pymodule]
/// mod relay {
///     #[pyfunction]
///     fn close() {}
/// }
///
/// let definition: ModuleDefinition = relay::module_def;
/// let host = pymqtt::Host::builder().module(definition).build();
/// ```
pub type ModuleDefinition = fn(&rustpython_vm::Context) -> &'static PyModuleDef;

/// The application's modules, functions and values, as the builder collected them.
#[derive(Clone, Default)]
pub(super) struct Application {
    /// (module, function name, maker), in the order given.
    functions: Vec<(String, &'static str, FunctionMaker)>,
    globals: Vec<(String, GlobalValue)>,
    modules: Vec<ModuleDefinition>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field(
                "functions",
                &self
                    .functions
                    .iter()
                    .map(|(m, n, _)| format!("{m}.{n}"))
                    .collect::<Vec<_>>(),
            )
            .field("globals", &self.globals)
            .field("modules", &self.modules.len())
            .finish()
    }
}

impl Application {
    /// `path` is `MODULE.NAME` (the module may be dotted: `gateway.io.read`).
    pub fn add_function<F, K>(&mut self, path: &str, f: F)
    where
        F: IntoPyNativeFn<K> + Clone + Send + Sync + 'static,
    {
        let (module, name) = path.rsplit_once('.').unwrap_or(("__main__", path));
        // RustPython names a native function with a 'static str: one per function added.
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        let maker: FunctionMaker = Arc::new(move |vm| vm.new_function(name, f.clone()).into());
        self.functions.push((module.to_string(), name, maker));
    }

    pub fn add_global(&mut self, name: &str, value: GlobalValue) {
        self.globals.push((name.to_string(), value));
    }

    pub fn add_module(&mut self, definition: ModuleDefinition) {
        self.modules.push(definition);
    }

    /// Registers the native modules with an interpreter being built (importable by name,
    /// as the standard library's native modules are).
    pub fn register_modules(&self, builder: InterpreterBuilder) -> InterpreterBuilder {
        self.modules.iter().fold(builder, |builder, definition| {
            let def = definition(&builder.ctx);
            builder.add_native_module(def)
        })
    }

    /// Makes the modules and functions in `vm` (in `sys.modules`, importable), and the
    /// values (and functions given without a module) in `scope`'s `__main__`.
    pub fn install(&self, vm: &VirtualMachine, scope: &Scope) -> PyResult<()> {
        let modules = vm.sys_module.get_attr("modules", vm)?;
        for (module, name, maker) in &self.functions {
            let function = maker(vm);
            if module == "__main__" {
                scope.globals.set_item(*name, function, vm)?;
                continue;
            }
            let target = module_named(vm, &modules, module)?;
            target.as_object().set_attr(*name, function, vm)?;
        }
        for (name, value) in &self.globals {
            scope
                .globals
                .set_item(name.as_str(), value.to_python(vm), vm)?;
        }
        Ok(())
    }
}
