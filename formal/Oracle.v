(** * The model as an oracle for the TypeScript identity-header code.

    test/formal/identity.test.ts writes a file that applies [failures] to cases it generated
    (fast-check samples, adversarial values), each with the answer the TypeScript code gave; coqc
    computes the model's answers and prints the cases where they differ, which must be none. *)

From Coq Require Import List NArith ZArith Bool Uint63 PArray.
From Formal Require Import Payload Header.
Import ListNotations.

(** The test's strings come as slices of one array of 63-bit integers, three UTF-16 code units
    to an integer: coqc elaborates a primitive array element far faster than a list cell, which
    keeps a few thousand cases within seconds. *)
Section Data.
Variable data : array int.

Definition unit_at (k : int) : N :=
  Z.to_N (to_Z ((data.[k / 3] >> (16 * (2 - k mod 3))%uint63) land 65535)%uint63).

Fixpoint slice_nat (off : int) (len : nat) : str :=
  match len with O => [] | S l => unit_at off :: slice_nat (off + 1)%uint63 l end.

Definition slice (off len : int) : str := slice_nat off (Z.to_nat (to_Z len)).
End Data.

Inductive case :=
(** [parseIdentityHeader(input)]: a profile and the fields in order, or an error reason. *)
| c_parse (input : str) (answer : parsed)
(** [valueProblem(name, value) === null] *)
| c_value (name value : str) (ok : bool)
(** [serializeFields(fields)] *)
| c_serialize (fields : list (str * str)) (out : str)
(** [serializePayload(object)], the object's keys being distinct *)
| c_payload (fields : list (str * str)) (out : str).

Definition reason_eqb (a b : reason) : bool :=
  match a, b with
  | malformed_header, malformed_header | duplicate_field, duplicate_field | missing_field, missing_field
  | unknown_version, unknown_version | bad_value, bad_value => true
  | _, _ => false
  end.

Fixpoint fields_eqb (a b : list (str * str)) : bool :=
  match a, b with
  | [], [] => true
  | (k, v) :: a', (k', v') :: b' => str_eqb k k' && str_eqb v v' && fields_eqb a' b'
  | _, _ => false
  end.

Definition parsed_eqb (a b : parsed) : bool :=
  match a, b with
  | parsed_ok p f, parsed_ok p' f' =>
      match p, p' with v1, v1 | seed, seed => fields_eqb f f' | _, _ => false end
  | parsed_error r, parsed_error r' => reason_eqb r r'
  | _, _ => false
  end.

(** The model's answer where it differs from the one given, [None] where they agree. *)
Definition disagreement (c : case) : option parsed :=
  match c with
  | c_parse i a => let m := parse i in if parsed_eqb m a then None else Some m
  | c_value n v ok => if Bool.eqb (value_ok n v) ok then None else Some (parsed_error bad_value)
  | c_serialize f o => if str_eqb (serialize f) o then None else Some (parsed_ok v1 [(serialize f, [])])
  | c_payload f o => if str_eqb (ser (sort f)) o then None else Some (parsed_ok v1 [(ser (sort f), [])])
  end.

Fixpoint failures (i : nat) (cs : list case) : list (nat * parsed) :=
  match cs with
  | [] => []
  | c :: t => match disagreement c with Some m => (i, m) :: failures (S i) t | None => failures (S i) t end
  end.
