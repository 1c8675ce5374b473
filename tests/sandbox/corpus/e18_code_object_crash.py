# attack: E18 a crafted code object: LOAD_CONST with index 0xffffffff (EXTENDED_ARG ×3)
#         reads far past the end of co_consts; the interpreter crashes (SIGSEGV).
# expect: error exception
# message: the interpreter crashed


def template():
    return None


def count(proposals, ballots, participants, proposer_franchise, voter_franchise):
    code = template.__code__
    # CPython 3.11 opcodes: RESUME 151, EXTENDED_ARG 144, LOAD_CONST 100, RETURN_VALUE 83.
    ops = bytes([151, 0, 144, 255, 144, 255, 144, 255, 100, 255, 83, 0])
    evil = code.replace(co_code=ops, co_consts=(), co_stacksize=1)
    function = template.__class__
    return function(evil, {})()
