/* compat.h: the only place that looks at PY_VERSION_HEX.
 *
 * It names the features that differ between the supported CPython versions
 * (3.11, 3.12, 3.13) and supplies shims so that the rest of the C core is
 * written against one API.
 */
#ifndef CLOOP_COMPAT_H
#define CLOOP_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define CL_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define CL_PY313 (PY_VERSION_HEX >= 0x030D0000)
#define CL_PY314 (PY_VERSION_HEX >= 0x030E0000)

/* 3.12 moved the PyMemberDef constants into Python.h with Py_ names. */
#if !CL_PY312
#include <structmember.h>
#define Py_T_PYSSIZET T_PYSSIZET
#define Py_READONLY READONLY
#endif

/* The exception being handled, as one object with its traceback attached.
 * 3.12 added PyErr_GetRaisedException; 3.11 needs the fetch/normalize dance.
 * New reference, or NULL when no exception is set. */
static inline PyObject *
cl_err_fetch(void)
{
#if CL_PY312
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* Steals a reference to exc (which may be NULL). */
static inline void
cl_err_restore(PyObject *exc)
{
#if CL_PY312
    PyErr_SetRaisedException(exc);
#else
    if (exc == NULL) {
        return;
    }
    PyObject *tb = PyException_GetTraceback(exc);
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, tb);
#endif
}

/* Does the pending exception stop the loop (KeyboardInterrupt, SystemExit)?
 * asyncio lets these two escape from callbacks; everything else goes to
 * the exception handler. */
static inline int
cl_err_is_fatal(void)
{
    return PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)
           || PyErr_ExceptionMatches(PyExc_SystemExit);
}

#endif /* CLOOP_COMPAT_H */
