//! libwasmedge, loaded on first use rather than linked: it links libLLVM, whose load takes a
//! process start from about 2 ms to 19 ms here, and every process of a build with the `wasmedge`
//! feature would pay that (each call containerd makes to wasmfaas-runtime, each `process` run of
//! the CLI), whatever engine it runs. Only the functions this engine calls are resolved, by name;
//! their signatures are checked at compile time against wasmedge-sys's bindings.
use std::ffi::{CStr, CString, c_char, c_void};
use std::sync::OnceLock;

use wasmedge_sys::ffi;

/// The library's file name, as its build installs it (`WASMEDGE_DIR/lib`).
const SONAME: &str = "libwasmedge.so.0";

macro_rules! api {
    ($(fn $name:ident($($arg:ty),*) $(-> $ret:ty)?;)*) => {
        /// The functions of libwasmedge this engine calls.
        #[allow(non_snake_case)]
        pub(crate) struct Api {
            $(pub(crate) $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?,)*
        }

        impl Api {
            /// Resolves every function in the library `handle`.
            ///
            /// # Safety
            /// `handle` is a live dlopen handle of a libwasmedge whose C API matches the bindings.
            unsafe fn resolve(handle: *mut c_void) -> Result<Self, String> {
                Ok(Self {
                    $($name: {
                        // SAFETY: a NUL-terminated name; a non-NULL symbol of this name is the
                        // function the bindings declare with this signature.
                        let symbol = unsafe {
                            libc::dlsym(handle, concat!(stringify!($name), "\0").as_ptr().cast())
                        };
                        if symbol.is_null() {
                            return Err(format!("it has no {}", stringify!($name)));
                        }
                        // SAFETY: as above.
                        unsafe {
                            std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($arg),*) $(-> $ret)?>(symbol)
                        }
                    },)*
                })
            }
        }

        /// Fails to compile if a signature above differs from wasmedge-sys's. Generic and never
        /// called, so it is type-checked but not compiled: it links nothing.
        #[allow(dead_code, clippy::extra_unused_type_parameters)]
        fn signatures_match<T>() {
            $(let _: unsafe extern "C" fn($($arg),*) $(-> $ret)? = ffi::$name;)*
        }
    };
}

api! {
    fn WasmEdge_ASTModuleDelete(*mut ffi::WasmEdge_ASTModuleContext);
    fn WasmEdge_ASTModuleListExports(*const ffi::WasmEdge_ASTModuleContext, *mut *const ffi::WasmEdge_ExportTypeContext, u32) -> u32;
    fn WasmEdge_ASTModuleListExportsLength(*const ffi::WasmEdge_ASTModuleContext) -> u32;
    fn WasmEdge_ASTModuleListImports(*const ffi::WasmEdge_ASTModuleContext, *mut *const ffi::WasmEdge_ImportTypeContext, u32) -> u32;
    fn WasmEdge_ASTModuleListImportsLength(*const ffi::WasmEdge_ASTModuleContext) -> u32;
    fn WasmEdge_BytesWrap(*const u8, u32) -> ffi::WasmEdge_Bytes;
    fn WasmEdge_CompilerCompileFromBytes(*mut ffi::WasmEdge_CompilerContext, ffi::WasmEdge_Bytes, *const c_char) -> ffi::WasmEdge_Result;
    fn WasmEdge_CompilerCreate(*const ffi::WasmEdge_ConfigureContext) -> *mut ffi::WasmEdge_CompilerContext;
    fn WasmEdge_CompilerDelete(*mut ffi::WasmEdge_CompilerContext);
    fn WasmEdge_ConfigureCompilerSetOptimizationLevel(*mut ffi::WasmEdge_ConfigureContext, ffi::WasmEdge_CompilerOptimizationLevel);
    fn WasmEdge_ConfigureCompilerSetOutputFormat(*mut ffi::WasmEdge_ConfigureContext, ffi::WasmEdge_CompilerOutputFormat);
    fn WasmEdge_ConfigureCreate() -> *mut ffi::WasmEdge_ConfigureContext;
    fn WasmEdge_ConfigureDelete(*mut ffi::WasmEdge_ConfigureContext);
    fn WasmEdge_ConfigureSetMaxMemoryPage(*mut ffi::WasmEdge_ConfigureContext, u64);
    fn WasmEdge_ConfigureSetRunMode(*mut ffi::WasmEdge_ConfigureContext, ffi::WasmEdge_RunMode);
    fn WasmEdge_ExecutorCreate(*const ffi::WasmEdge_ConfigureContext, *mut ffi::WasmEdge_StatisticsContext) -> *mut ffi::WasmEdge_ExecutorContext;
    fn WasmEdge_ExecutorDelete(*mut ffi::WasmEdge_ExecutorContext);
    fn WasmEdge_ExecutorInstantiate(*mut ffi::WasmEdge_ExecutorContext, *mut *mut ffi::WasmEdge_ModuleInstanceContext, *mut ffi::WasmEdge_StoreContext, *const ffi::WasmEdge_ASTModuleContext) -> ffi::WasmEdge_Result;
    fn WasmEdge_ExecutorInvoke(*mut ffi::WasmEdge_ExecutorContext, *const ffi::WasmEdge_FunctionInstanceContext, *const ffi::WasmEdge_Value, u32, *mut ffi::WasmEdge_Value, u32) -> ffi::WasmEdge_Result;
    fn WasmEdge_ExecutorRegisterImport(*mut ffi::WasmEdge_ExecutorContext, *mut ffi::WasmEdge_StoreContext, *const ffi::WasmEdge_ModuleInstanceContext) -> ffi::WasmEdge_Result;
    fn WasmEdge_ExportTypeGetMemoryType(*const ffi::WasmEdge_ASTModuleContext, *const ffi::WasmEdge_ExportTypeContext) -> *const ffi::WasmEdge_MemoryTypeContext;
    fn WasmEdge_ImportTypeGetExternalName(*const ffi::WasmEdge_ImportTypeContext) -> ffi::WasmEdge_String;
    fn WasmEdge_ImportTypeGetModuleName(*const ffi::WasmEdge_ImportTypeContext) -> ffi::WasmEdge_String;
    fn WasmEdge_LimitGetMin(*const ffi::WasmEdge_LimitContext) -> u64;
    fn WasmEdge_LoaderCreate(*const ffi::WasmEdge_ConfigureContext) -> *mut ffi::WasmEdge_LoaderContext;
    fn WasmEdge_LoaderDelete(*mut ffi::WasmEdge_LoaderContext);
    fn WasmEdge_LoaderParseFromBytes(*mut ffi::WasmEdge_LoaderContext, *mut *mut ffi::WasmEdge_ASTModuleContext, ffi::WasmEdge_Bytes) -> ffi::WasmEdge_Result;
    fn WasmEdge_LoaderParseFromFile(*mut ffi::WasmEdge_LoaderContext, *mut *mut ffi::WasmEdge_ASTModuleContext, *const c_char) -> ffi::WasmEdge_Result;
    fn WasmEdge_LogSetCallback(ffi::WasmEdge_LogCallback_t);
    fn WasmEdge_LogSetDebugLevel();
    fn WasmEdge_LogSetLevel(ffi::WasmEdge_LogLevel);
    fn WasmEdge_MemoryTypeGetLimit(*const ffi::WasmEdge_MemoryTypeContext) -> *const ffi::WasmEdge_LimitContext;
    fn WasmEdge_ModuleInstanceCreateWASIWithFds(*const *const c_char, u32, *const *const c_char, u32, *const *const c_char, u32, i32, i32, i32) -> *mut ffi::WasmEdge_ModuleInstanceContext;
    fn WasmEdge_ModuleInstanceDelete(*mut ffi::WasmEdge_ModuleInstanceContext);
    fn WasmEdge_ModuleInstanceFindFunction(*const ffi::WasmEdge_ModuleInstanceContext, ffi::WasmEdge_String) -> *mut ffi::WasmEdge_FunctionInstanceContext;
    fn WasmEdge_ModuleInstanceWASIGetExitCode(*const ffi::WasmEdge_ModuleInstanceContext) -> u32;
    fn WasmEdge_ResultGetMessage(ffi::WasmEdge_Result) -> *const c_char;
    fn WasmEdge_ResultOK(ffi::WasmEdge_Result) -> bool;
    fn WasmEdge_StoreCreate() -> *mut ffi::WasmEdge_StoreContext;
    fn WasmEdge_StoreDelete(*mut ffi::WasmEdge_StoreContext);
    fn WasmEdge_StringCreateByCString(*const c_char) -> ffi::WasmEdge_String;
    fn WasmEdge_StringDelete(ffi::WasmEdge_String);
    fn WasmEdge_ValidatorCreate(*const ffi::WasmEdge_ConfigureContext) -> *mut ffi::WasmEdge_ValidatorContext;
    fn WasmEdge_ValidatorDelete(*mut ffi::WasmEdge_ValidatorContext);
    fn WasmEdge_ValidatorValidate(*mut ffi::WasmEdge_ValidatorContext, *const ffi::WasmEdge_ASTModuleContext) -> ffi::WasmEdge_Result;
    fn WasmEdge_VersionGet() -> *const c_char;
}

/// libwasmedge, loaded on the first call: from the loader's search path (`LD_LIBRARY_PATH`,
/// the system's), else from the `WASMEDGE_DIR` this build was made with. The error says why not.
pub(crate) fn load() -> Result<&'static Api, String> {
    static API: OnceLock<Result<Api, String>> = OnceLock::new();
    API.get_or_init(|| {
        let mut candidates = vec![SONAME.to_owned()];
        if let Some(dir) = option_env!("WASMEDGE_DIR") {
            candidates.push(format!("{dir}/lib/{SONAME}"));
        }
        let mut failures = Vec::new();
        for candidate in &candidates {
            let name = CString::new(candidate.as_str()).map_err(|e| e.to_string())?;
            // SAFETY: a NUL-terminated path; the handle is kept for the life of the process.
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
            if handle.is_null() {
                // SAFETY: dlerror's message is a C string valid until the next dl call.
                let error = unsafe { libc::dlerror() };
                failures.push(if error.is_null() {
                    candidate.clone()
                } else {
                    unsafe { CStr::from_ptr(error as *const c_char) }
                        .to_string_lossy()
                        .into_owned()
                });
                continue;
            }
            // SAFETY: a live handle of the library wasmedge-sys's bindings describe.
            return unsafe { Api::resolve(handle) }.map_err(|e| {
                format!("{candidate} is not the libwasmedge this build expects: {e}")
            });
        }
        Err(format!(
            "cannot load libwasmedge ({}); put its lib folder in LD_LIBRARY_PATH",
            failures.join("; ")
        ))
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The loaded library, for the calls that follow a successful [`load`] (every WasmEdge object
/// is made after one).
pub(crate) fn api() -> &'static Api {
    load().expect("libwasmedge is loaded before any WasmEdge object exists")
}
