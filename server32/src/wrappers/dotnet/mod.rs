//! `dotnet`: a .NET Framework class library, hosted by an embedded Mono runtime.
//!
//! The wrapper is generic: `invoke(class_name, method_name, args…)` finds the method by
//! name and argument count, converts each argument to the parameter's .NET type
//! (`bool`, `char`, integers, `float`, `double`, enums, `string`, arrays of numbers of
//! any rank such as `double[]` and `double[,]`), and converts the result back by its
//! run-time type. Static methods are called directly; for an instance method an object
//! of the class is made once with its parameterless constructor and reused. A .NET
//! exception becomes a `DotNetException` error with its type and message.
//!
//! Keyword arguments: `assembly=PATH` (default: the bundled `dotnet_lib32.dll`) and
//! `mono=PATH` (default: `libmonosgen-2.0.so.1`, Debian's `libmonosgen-2.0-1:i386`).
//! Debian's Mono runtime for i386 and for amd64 cannot be installed together, so this
//! wrapper is meant for the 32-bit server.
//!
//! If Mono itself aborts it writes `mono_crash.*.json` into the working directory;
//! start the server with the environment variable `MONO_CRASH_NOFILE=1` to prevent that.

mod args;
mod lookup;
mod mono;
mod results;

use std::collections::HashMap;
use std::ffi::c_void;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use loadlib::server::{Kwargs, Library, Rest, Result, Server32, ServerError};
use loadlib::{Value, ValueRef};

use args::Params;
use mono::{
    cstring, non_null, Api, Handle, MonoClass, MonoImage, MonoMethod, MonoMethodSignature,
    MonoObject, Runtime,
};

/// Mono can be initialised once per process.
static STARTED: AtomicBool = AtomicBool::new(false);

/// A .NET assembly loaded into the embedded Mono runtime.
pub struct DotNetServer {
    rt: Runtime,
    image: *mut MonoImage,
    path: String,
    /// Every class of the assembly by full name (`Namespace.Outer+Inner`), in order.
    classes: Vec<(String, *mut MonoClass)>,
    /// The object each instance method is called on, per class.
    instances: HashMap<String, Handle>,
}

fn startup_error(message: impl Into<String>) -> ServerError {
    ServerError::new("DotNetStartupError", message)
}

impl Server32 for DotNetServer {
    const NAME: &'static str = "dotnet";

    fn new(kwargs: &Kwargs) -> Result<Self> {
        if let Some((k, _)) = kwargs
            .iter()
            .find(|(k, _)| !matches!(*k, "assembly" | "mono"))
        {
            return Err(startup_error(format!(
                "unknown keyword argument `{k}` (dotnet takes `assembly` and `mono`)"
            )));
        }
        let path = kwargs
            .get("assembly")
            .unwrap_or(env!("LOADLIB_DOTNET_LIB"))
            .to_owned();
        if !Path::new(&path).is_file() {
            return Err(startup_error(format!(
                "the .NET assembly `{path}` does not exist"
            )));
        }
        let mono_path = kwargs.get("mono").unwrap_or("libmonosgen-2.0.so.1");
        // SAFETY: loading runs the library's initialisers; this is the library the
        // wrapper exists for.
        let lib = unsafe { Library::cdll(mono_path) }.map_err(|e| {
            if usize::BITS == 64 {
                e.context(
                    "no 64-bit Mono runtime: the dotnet wrapper is meant for the 32-bit server \
                     with Debian's libmonosgen-2.0-1:i386 (which cannot be installed together \
                     with the amd64 package); pass mono=PATH for a 64-bit libmonosgen",
                )
            } else {
                e.context(
                    "the dotnet wrapper needs Mono's runtime library \
                     (Debian: apt-get install libmonosgen-2.0-1:i386)",
                )
            }
        })?;
        // Mono cannot be unloaded or initialised twice: the API lives for the process.
        let api: &'static Api = Box::leak(Box::new(Api::load(lib)?));
        // The class library is under `<dir>/mono/4.5`, where `<dir>` holds the runtime.
        let lib_dir = Path::new(mono_path)
            .parent()
            .filter(|d| d.join("mono/4.5/mscorlib.dll").is_file())
            .map_or_else(|| "/usr/lib".to_owned(), |d| d.display().to_string());
        let corlib = Path::new(&lib_dir).join("mono/4.5/mscorlib.dll");
        if !corlib.is_file() {
            return Err(startup_error(format!(
                "Mono's class library `{}` is missing \
                 (Debian: apt-get install libmono-corlib4.5-cil)",
                corlib.display()
            )));
        }
        if STARTED.swap(true, Ordering::SeqCst) {
            return Err(startup_error("Mono is already initialised in this process"));
        }
        let (c_lib_dir, c_path) = (cstring(&lib_dir)?, cstring(&path)?);
        // SAFETY: the documented start-up sequence of an embedding host, once per process,
        // on the thread that serves every request; every pointer is checked.
        let (domain, image) = unsafe {
            (api.set_dirs)(c_lib_dir.as_ptr(), c"/etc".as_ptr());
            (api.config_parse)(std::ptr::null());
            let domain = non_null(
                (api.jit_init_version)(c"loadlib".as_ptr(), c"v4.0.30319".as_ptr()),
                "mono_jit_init_version",
            )?;
            let assembly = (api.domain_assembly_open)(domain, c_path.as_ptr());
            if assembly.is_null() {
                return Err(startup_error(format!(
                    "Mono cannot load `{path}` as a .NET assembly"
                )));
            }
            (
                domain,
                non_null((api.assembly_get_image)(assembly), "the assembly's image")?,
            )
        };
        // SAFETY: System.Array is a corlib class; `GetLength(int)` is one of its methods.
        let get_length = unsafe {
            let array = non_null((api.get_array_class)(), "System.Array")?;
            non_null(
                (api.class_get_method_from_name)(array, c"GetLength".as_ptr(), 1),
                "System.Array.GetLength",
            )?
        };
        let mut wrapper = DotNetServer {
            rt: Runtime {
                api,
                domain,
                get_length,
            },
            image,
            path,
            classes: Vec::new(),
            instances: HashMap::new(),
        };
        wrapper.classes = wrapper.load_classes();
        Ok(wrapper)
    }
}

impl DotNetServer {
    /// The arguments converted for `method`, or the first that does not convert.
    fn convert_args<'a>(
        &self,
        method: *mut MonoMethod,
        values: &[ValueRef<'_>],
        full: &str,
        exact: bool,
    ) -> Result<(*mut MonoMethodSignature, Params<'a>), ServerError> {
        let api = self.rt.api;
        // SAFETY: `method` is a loaded method; its signature lives as long as it.
        let sig = non_null(
            unsafe { (api.method_signature)(method) },
            "a method signature",
        )?;
        let mut params = Params::default();
        let mut iter: *mut c_void = std::ptr::null_mut();
        for (i, v) in values.iter().enumerate() {
            // SAFETY: the documented iteration over a signature's parameter types; it
            // has as many as `values` (the overload was chosen by that count).
            let ty = non_null(
                unsafe { (api.signature_get_params)(sig, &mut iter) },
                "a parameter type",
            )?;
            let what = format!("argument {} of `{full}`", i + 1);
            self.rt.push_arg(&mut params, ty, v, &what, exact)?;
        }
        Ok((sig, params))
    }

    /// The object instance methods of `class` are called on (made on first use).
    fn instance(
        &mut self,
        class: *mut MonoClass,
        cname: &str,
    ) -> Result<*mut MonoObject, ServerError> {
        let api = self.rt.api;
        if let Some(h) = self.instances.get(cname) {
            return Ok(h.get());
        }
        // SAFETY: `class` is a loaded class.
        let flags = unsafe { (api.class_get_flags)(class) };
        let ctor = if flags & mono::TYPE_ABSTRACT != 0 {
            std::ptr::null_mut()
        } else {
            // SAFETY: as above.
            unsafe { (api.class_get_method_from_name)(class, c".ctor".as_ptr(), 0) }
        };
        if ctor.is_null() || cname.contains('`') {
            return Err(ServerError::type_error(format!(
                "`{cname}` cannot be created with a parameterless constructor, \
                 so only its static methods can be called"
            )));
        }
        // SAFETY: a concrete, non-generic class; the new object is pinned at once and its
        // constructor runs with exceptions caught.
        let h = Handle::pin(
            api,
            unsafe { (api.object_new)(self.rt.domain, class) },
            "a new object",
        )?;
        let mut exc: *mut MonoObject = std::ptr::null_mut();
        // SAFETY: as above.
        unsafe { (api.runtime_invoke)(ctor, h.get().cast(), std::ptr::null_mut(), &mut exc) };
        if !exc.is_null() {
            let e = Handle::pin(api, exc, "an exception")?;
            return Err(api.exception_error(e, &format!("the constructor of `{cname}`")));
        }
        let obj = h.get();
        self.instances.insert(cname.to_owned(), h);
        Ok(obj)
    }

    /// `invoke`: converts the arguments by the method's signature, calls it, converts
    /// the result.
    fn call(
        &mut self,
        class_name: &str,
        method_name: &str,
        args: Rest<'_>,
    ) -> Result<Value, ServerError> {
        let api = self.rt.api;
        let class = self.class(class_name)?;
        let full = format!("{class_name}.{method_name}");
        if class_name.contains('`') {
            return Err(ServerError::type_error(format!(
                "`{class_name}` is a generic class, which loadlib cannot call into"
            )));
        }
        let mut overloads = self.overloads(class, class_name, method_name, args.values.len())?;
        // Generic method definitions (`T M<T>(…)`) cannot be invoked without type arguments.
        // SAFETY: each is a loaded method.
        overloads.retain(|&m| unsafe { (api.method_get_generic_container)(m) }.is_null());
        if overloads.is_empty() {
            return Err(ServerError::type_error(format!(
                "`{full}` is a generic method, which loadlib cannot call"
            )));
        }
        // With several overloads, the first whose parameter types the arguments have
        // exactly, else the first they convert to without loss.
        let passes: &[bool] = if overloads.len() > 1 {
            &[true, false]
        } else {
            &[false]
        };
        let mut chosen = None;
        let mut first_error = None;
        'search: for &exact in passes {
            for &m in &overloads {
                match self.convert_args(m, &args.values, &full, exact) {
                    Ok(c) => {
                        chosen = Some((m, c));
                        break 'search;
                    }
                    Err(e) if e.name == "TypeError" && !exact => {
                        first_error.get_or_insert(e);
                    }
                    Err(e) if e.name == "TypeError" => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let Some((method, (sig, mut params))) = chosen else {
            let e = first_error.unwrap_or_else(|| ServerError::type_error("no overload fits"));
            return Err(if overloads.len() > 1 {
                e.context(format!(
                    "none of the {} overloads of `{full}` fits",
                    overloads.len()
                ))
            } else {
                e
            });
        };
        for (i, v) in args.values.into_iter().enumerate() {
            params.keep_writable(i, v);
        }
        // SAFETY: as above.
        let obj: *mut c_void = if unsafe { (api.signature_is_instance)(sig) } != 0 {
            self.instance(class, class_name)?.cast()
        } else {
            std::ptr::null_mut()
        };
        let mut ptrs = params.pointers();
        let mut exc: *mut MonoObject = std::ptr::null_mut();
        // SAFETY: every argument has its parameter's .NET type (converted above) and
        // stays pinned in `params`; the instance is pinned; exceptions are caught.
        let result = unsafe { (api.runtime_invoke)(method, obj, ptrs.as_mut_ptr(), &mut exc) };
        let exc = if exc.is_null() {
            None
        } else {
            Some(Handle::pin(api, exc, "an exception")?)
        };
        let result = if result.is_null() || exc.is_some() {
            None
        } else {
            Some(Handle::pin(api, result, "a result")?)
        };
        // Writable arrays see what .NET did to them, even if it then threw.
        params.write_back(api)?;
        if let Some(e) = exc {
            return Err(api.exception_error(e, &full));
        }
        self.rt.to_value(result, 0).map_err(|e| e.context(&full))
    }
}

loadlib::interface! {
    /// Calls into a .NET assembly hosted by the embedded Mono runtime.
    pub trait DotNet => DotNetClient {
        /// Calls `class_name.method_name(args…)`: a static method, or an instance method
        /// on the class's cached instance. Returns the converted result (None for void).
        fn invoke(class_name: &str, method_name: &str, args: Rest<'_>) -> Value;
        /// The full names of the classes in the assembly (`Namespace.Class`).
        fn class_names() -> Vec<Value>;
        /// The path of the loaded assembly.
        fn assembly_path() -> String;
    }
}

impl DotNet for DotNetServer {
    fn invoke(&mut self, class_name: &str, method_name: &str, args: Rest<'_>) -> Result<Value> {
        self.call(class_name, method_name, args)
    }

    fn class_names(&mut self) -> Result<Vec<Value>> {
        Ok(self.class_list().into_iter().map(Value::Str).collect())
    }

    fn assembly_path(&mut self) -> Result<String> {
        Ok(self.path.clone())
    }
}
